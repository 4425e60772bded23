// The AWS adapters behind the ports, with SDK v3 clients stubbed (aws-sdk-client-mock): S3
// answers mapped to ObjectHead / undefined, Glue errors passed through by name, paging bounded.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetJobRunCommand, GetJobRunsCommand, GlueClient, StartJobRunCommand } from "@aws-sdk/client-glue";
import { S3ObjectStore } from "../../handlers/aws/s3-object-store";
import { AwsGlueLauncher, awsGlueLauncher } from "../../handlers/aws/glue-launcher";
import { classifyStartError } from "../../handlers/core/glue-errors";

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe("handlers: AWS adapters (SDK stubbed)", () => {
  const s3 = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const glue = new GlueClient({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  const s3Mock = mockClient(s3);
  const glueMock = mockClient(glue);

  beforeEach(() => {
    s3Mock.reset();
    glueMock.reset();
  });
  after(() => {
    s3Mock.restore();
    glueMock.restore();
  });

  it("HeadObject: strips etag quotes, maps the 'null' version, passes the version id", async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 12, ETag: '"abc"', VersionId: "null", LastModified: new Date(0) });

    const head = await new S3ObjectStore(s3).headObject("b", "k", "v1");

    expect(head).to.deep.equal({ exists: true, size: 12, etag: "abc", versionId: null, lastModified: "1970-01-01T00:00:00.000Z" });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0].args[0].input).to.deep.equal({ Bucket: "b", Key: "k", VersionId: "v1", ChecksumMode: "ENABLED" });
  });

  it("HeadObject: returns S3's content checksums by algorithm, when there are any", async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 12, ETag: '"abc"', ChecksumCRC64NVME: "AAAAAAAAAAA=", ChecksumSHA256: "" });

    const head = await new S3ObjectStore(s3).headObject("b", "k");

    expect(head.checksums).to.deep.equal({ CRC64NVME: "AAAAAAAAAAA=" });
  });

  for (const [name, status] of [["NotFound", 404], ["NoSuchVersion", 404], ["MethodNotAllowed", 405]] as const) {
    it(`HeadObject ${name} (${status}) -> exists: false`, async () => {
      s3Mock.on(HeadObjectCommand).rejects(s3Error(name, status));

      const head = await new S3ObjectStore(s3).headObject("b", "k");

      expect(head.exists).to.equal(false);
    });
  }

  it("HeadObject AccessDenied is thrown, not mistaken for a missing object", async () => {
    s3Mock.on(HeadObjectCommand).rejects(s3Error("AccessDenied", 403));

    let error: Error | undefined;
    await new S3ObjectStore(s3).headObject("b", "k").catch((e) => (error = e));

    expect(error?.name).to.equal("AccessDenied");
  });

  it("getJson parses the body and maps NoSuchKey to undefined; putJson writes JSON", async () => {
    s3Mock.on(GetObjectCommand, { Key: "there" }).resolves({ Body: { transformToString: async () => '{"a":1}' } as any });
    s3Mock.on(GetObjectCommand, { Key: "missing" }).rejects(s3Error("NoSuchKey", 404));
    s3Mock.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(s3);

    expect(await store.getJson("b", "there")).to.deep.equal({ a: 1 });
    expect(await store.getJson("b", "missing")).to.equal(undefined);
    await store.putJson("b", "m.json", { x: [1] });
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input).to.include({ Bucket: "b", Key: "m.json", Body: '{"x":[1]}', ContentType: "application/json" });
  });

  it("StartJobRun passes the arguments and returns the JobRunId; errors keep their Glue name", async () => {
    glueMock.on(StartJobRunCommand).resolvesOnce({ JobRunId: "jr_1" }).rejectsOnce(Object.assign(new Error("busy"), { name: "ConcurrentRunsExceededException" }));
    const launcher = new AwsGlueLauncher(glue);

    const ok = await launcher.startJobRun("job", { "--run_id": "r1" });
    let error: Error | undefined;
    await launcher.startJobRun("job", {}).catch((e) => (error = e));

    expect(ok).to.deep.equal({ JobRunId: "jr_1" });
    expect(glueMock.commandCalls(StartJobRunCommand)[0].args[0].input).to.deep.equal({ JobName: "job", Arguments: { "--run_id": "r1" } });
    expect(error?.name).to.equal("ConcurrentRunsExceededException");
  });

  it("GetJobRun maps the run; GetJobRuns reads at most two pages", async () => {
    glueMock.on(GetJobRunCommand).resolves({ JobRun: { Id: "jr_1", JobRunState: "SUCCEEDED", ExecutionTime: 60, Arguments: { "--run_id": "r1" } } });
    glueMock.on(GetJobRunsCommand).resolves({ JobRuns: [{ Id: "jr_x", JobRunState: "RUNNING" }], NextToken: "more" });
    const launcher = new AwsGlueLauncher(glue);

    const run = await launcher.getJobRun("job", "jr_1");
    const runs = await launcher.getJobRuns("job");

    expect(run).to.include({ Id: "jr_1", JobRunState: "SUCCEEDED", ExecutionTime: 60 });
    expect(run.Arguments).to.deep.equal({ "--run_id": "r1" });
    expect(runs).to.have.length(2);
    expect(glueMock.commandCalls(GetJobRunsCommand)).to.have.length(2);
  });
});

describe("handlers: the Glue launcher against a Glue endpoint that throttles (real SDK client, local HTTP)", () => {
  let server: Server;
  const calls: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      calls.push(String(req.headers["x-amz-target"]));
      req.resume();
      req.on("end", () => {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "ThrottlingException" });
        res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (calls.length = 0));

  const launcher = () =>
    awsGlueLauncher({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });

  it("sends StartJobRun once, so a throttle is a clean refusal run-start retries (the SDK's own retries made it ambiguous)", async () => {
    let error: unknown;
    await launcher().startJobRun("job", { "--run_id": "r1" }).catch((e) => (error = e));

    expect(calls).to.deep.equal(["AWSGlue.StartJobRun"]);
    expect((error as Error).name).to.equal("ThrottlingException");
    expect(classifyStartError(error)).to.equal("retryable");
  });

  it("keeps the SDK's retries for reads", async () => {
    await launcher()
      .getJobRuns("job")
      .catch(() => undefined);

    expect(calls.length).to.be.greaterThan(1);
    expect(new Set(calls)).to.deep.equal(new Set(["AWSGlue.GetJobRuns"]));
  });
});
