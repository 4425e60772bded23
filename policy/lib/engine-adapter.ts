// Converts what the Pulumi engine hands a policy (@pulumi/policy args) into PolicyRes.
//
// During preview, values computed from other resources are unknown; @pulumi/policy wraps props in
// a proxy that THROWS on reading one, which downgrades the whole policy to advisory for that run.
// Copying the props once here, turning each unknown into UNKNOWN, lets every rule decide per value.
import { PolicyResource, ResourceValidationArgs, UnknownValueError } from "@pulumi/policy";
import { PolicyRes, UNKNOWN } from "./model";
import { withPreviewDocuments } from "./preview-documents";

function read(source: any, key: string | number): unknown {
  try {
    return source[key];
  } catch (err) {
    if (err instanceof UnknownValueError) return UNKNOWN;
    throw err;
  }
}

/** Deep plain copy of engine props with unknowns replaced by UNKNOWN. */
export function plainProps(value: unknown, depth = 0): unknown {
  if (depth > 40 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plainProps(read(value, i), depth + 1));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = plainProps(read(value, key), depth + 1);
  return out;
}

function refsOf(props: Record<string, unknown>): string[] {
  const refs: string[] = [];
  // An SQS queue policy names its queue by URL (queueUrl).
  for (const key of ["id", "bucket", "name", "arn", "keyId", "url"]) {
    const v = props[key];
    if (typeof v === "string" && v !== "") refs.push(v);
  }
  return refs;
}

/**
 * A resource under `validateResource` (props are its inputs). An unknown policy document is
 * replaced by its builder's placeholder rendering (see preview-documents.ts).
 */
export function fromResourceArgs(args: ResourceValidationArgs): PolicyRes {
  const props = plainProps(args.props) as Record<string, unknown>;
  return withPreviewDocuments({
    type: args.type,
    name: args.name,
    urn: args.urn,
    props,
    refs: refsOf(props),
    propertyDeps: {},
    deps: [],
    protect: args.opts?.protect === true,
  });
}

/** A resource under `validateStack` (props are its outputs, planned outputs during preview). */
export function fromStackResource(res: PolicyResource): PolicyRes {
  return withPreviewDocuments(stackResource(res));
}

function stackResource(res: PolicyResource): PolicyRes {
  const props = plainProps(res.props) as Record<string, unknown>;
  const propertyDeps: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(res.propertyDependencies ?? {})) {
    propertyDeps[key] = list.map((d) => d.urn);
  }
  return {
    type: res.type,
    name: res.name,
    urn: res.urn,
    props,
    refs: refsOf(props),
    propertyDeps,
    deps: (res.dependencies ?? []).map((d) => d.urn),
    protect: res.opts?.protect === true,
  };
}
