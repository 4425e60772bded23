// Resources recorded by the shared mocks (test/mocks) as PolicyRes, so the whole program can be run
// through the same rules the pack runs in `pulumi preview`.
import { PolicyRes } from "../../policy/lib/model";
import { RecordedResource } from "../mocks";

export function fromRecorded(r: RecordedResource): PolicyRes {
  // Stack rules see outputs in the engine; the mock state is inputs + computed names/ARNs.
  const props = { ...r.inputs, ...r.state } as Record<string, unknown>;
  // test/mocks' newResource returns `${name}-id` as every resource's id.
  const refs = [`${r.name}-id`];
  for (const key of ["bucket", "name", "arn", "keyId", "id", "url"]) {
    const v = r.state?.[key];
    if (
      typeof v === "string" &&
      v !== "" &&
      (key !== "bucket" || r.type === "aws:s3/bucket:Bucket")
    )
      refs.push(v);
  }
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props,
    refs,
    propertyDeps: {},
    deps: r.dependencies ?? [],
    protect: r.protect,
  };
}
