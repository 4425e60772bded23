// Boots policy/ exactly as `pulumi preview --policy-pack policy` does (the nodejs language host runs
// @pulumi/pulumi/cmd/run-policy-pack with the pack directory as cwd; TypeScript through ts-node with
// policy/tsconfig.json), then talks to it over the analyzer gRPC protocol like the engine. This
// proves the pack resolves its dependencies from the root node_modules and that the analyzer
// itself (not only our pure functions) reports violations, including with preview-time unknowns.
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import * as grpc from "@grpc/grpc-js";

// Generated protobuf modules ship without type declarations.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const apb = require("@pulumi/pulumi/proto/analyzer_pb");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const UNKNOWN_STRING: string = require("@pulumi/policy/proxy").unknownStringValue;
import { RULES } from "../../policy/rules";

const ROOT = join(__dirname, "..", "..");
const RUN_POLICY_PACK = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");

function startPack(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // The engine address argument is dropped by run-policy-pack; any value works.
    const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", "."], {
      cwd: join(ROOT, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const port = Number(out.trim().split("\n")[0]);
      if (port > 0) resolve({ child, port });
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
  });
}

function options(protect = false): any {
  const o = new apb.AnalyzerResourceOptions();
  o.setProtect(protect);
  return o;
}

function analyzerResource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  propertyDeps: Record<string, string[]> = {},
): any {
  const r = new apb.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(urn(type, name));
  r.setProperties(Struct.fromJavaScript(props as any));
  r.setOptions(options());
  const map = r.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(propertyDeps)) {
    const deps = new apb.AnalyzerPropertyDependencies();
    deps.setUrnsList(urns);
    map.set(key, deps);
  }
  return r;
}

const urn = (type: string, name: string) => `urn:pulumi:dev::datalake::${type}::${name}`;

type Diag = { policy: string; message: string; level: number; urn: string };

function diags(res: any): Diag[] {
  return res.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    level: d.getEnforcementlevel(),
    urn: d.getUrn(),
  }));
}

function call<T>(client: any, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
  );
}

describe("policy pack under the analyzer protocol (run-policy-pack)", function () {
  // Type-checking the pack with ts-node takes ~10 s on this machine.
  this.timeout(180_000);
  let child: ChildProcess | undefined;
  let client: any;

  before(async () => {
    const started = await startPack();
    child = started.child;
    client = new AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child && child.exitCode === null) child.kill();
  });

  it("serves every rule as a mandatory policy", async () => {
    const info: any = await call(client, "getAnalyzerInfo", new Empty());

    const names = info.getPoliciesList().map((p: any) => p.getName());
    expect(info.getName()).to.equal("datalake-security");
    expect(names).to.deep.equal(RULES.map((r) => r.name));
  });

  it("reports a resource violation for a KMS key without rotation", async () => {
    const req = new apb.AnalyzeRequest();
    req.setType("aws:kms/key:Key");
    req.setName("data-key");
    req.setUrn(urn("aws:kms/key:Key", "data-key"));
    req.setProperties(Struct.fromJavaScript({ enableKeyRotation: false }));
    req.setOptions(options());

    const found = diags(await call(client, "analyze", req));

    // The analyzer prefixes each message with the policy description (which names the controls).
    expect(found.map((d) => d.policy)).to.deep.equal(["kms-key-rotation"]);
    expect(found[0].message).to.contain("[controls: KMS.4 (not FSBP)]");
    expect(found[0].message.endsWith("enableKeyRotation must be true")).to.equal(true);
  });

  it("joins bucket configuration by property dependency while the bucket id is unknown (first preview)", async () => {
    const bucketUrn = urn("aws:s3/bucket:Bucket", "landing");
    const bucket = analyzerResource("aws:s3/bucket:Bucket", "landing", { bucket: "landing-abc" });
    const versioning = analyzerResource(
      "aws:s3/bucketVersioning:BucketVersioning",
      "landing-versioning",
      { bucket: UNKNOWN_STRING, versioningConfiguration: { status: "Enabled" } },
      { bucket: [bucketUrn] },
    );
    const onlyBucket = new apb.AnalyzeStackRequest();
    onlyBucket.setResourcesList([bucket]);
    const withVersioning = new apb.AnalyzeStackRequest();
    withVersioning.setResourcesList([bucket, versioning]);

    const before = diags(await call(client, "analyzeStack", onlyBucket)).filter(
      (d) => d.policy === "s3-versioning",
    );
    const after = diags(await call(client, "analyzeStack", withVersioning)).filter(
      (d) => d.policy === "s3-versioning",
    );

    expect(before.map((d) => d.urn)).to.deep.equal([bucketUrn]);
    expect(before[0].message).to.contain("no BucketVersioning");
    expect(after).to.deep.equal([]);
  });
});
