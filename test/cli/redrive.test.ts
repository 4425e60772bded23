// `datalake redrive` against moto's SQS and S3 and a real dynalite: dead-lettered events are
// re-delivered through file-arrival, and a message is deleted only once its object version has
// a FILE item.
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { randomBytes } from "crypto";
import { expect } from "chai";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DATASETS } from "../../datasets";
import { AuditStore } from "../../handlers/audit/store";
import { S3ObjectStore } from "../../handlers/aws/s3-object-store";
import { createHandlerDeps } from "../../handlers/deps";
import type { HandlerDeps } from "../../handlers/ports";
import { main } from "../../local/cli";
import { recordingIo } from "../../local/cli-io";
import { redriveQueue, summaryLine, type RedriveOptions } from "../../local/redrive-queue";
import { MOTO_CREDENTIALS, MOTO_REGION, motoForTests, motoS3Client } from "../support/moto";
import { startDynalite, type DynaliteServer } from "../handlers/support/dynalite";
import { FakeGlue, stateChangeEvent } from "../handlers/support/fake-glue";
import { FaultyDb, JOB_NAMES, ManualClock, allFiles, crashError, objectCreated } from "../handlers/support/world";

describe("cli: datalake redrive (moto SQS + S3, dynalite)", function () {
  this.timeout(120_000);
  let endpoint: string;
  let s3: S3Client;
  let sqs: SQSClient;
  let dynalite: DynaliteServer;
  let landing: string;
  let queueUrl: string;
  let db: FaultyDb;
  let audit: AuditStore;
  let glue: FakeGlue;
  let deps: HandlerDeps;

  before(async () => {
    endpoint = (await motoForTests()).endpoint;
    s3 = motoS3Client(endpoint);
    sqs = new SQSClient({ endpoint, region: MOTO_REGION, credentials: { ...MOTO_CREDENTIALS } });
    dynalite = await startDynalite();
  });
  after(async () => {
    s3?.destroy();
    sqs?.destroy();
    await dynalite?.close();
  });

  beforeEach(async () => {
    const suffix = randomBytes(4).toString("hex");
    landing = `redrive-landing-${suffix}`;
    const ops = `redrive-ops-${suffix}`;
    for (const bucket of [landing, ops]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: landing, VersioningConfiguration: { Status: "Enabled" } }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `redrive-dlq-${suffix}` }))).QueueUrl!;
    const doc = DynamoDBDocumentClient.from(dynalite.client, { marshallOptions: { removeUndefinedValues: true } });
    const table = await dynalite.newTable();
    db = new FaultyDb(doc);
    audit = new AuditStore(doc, table);
    const objects = new S3ObjectStore(s3);
    glue = new FakeGlue(objects, ops);
    const clock = new ManualClock(Date.now());
    deps = createHandlerDeps({ audit: new AuditStore(db, table), objects, glue, specs: DATASETS, jobNames: JOB_NAMES, opsBucket: ops, landingBucket: landing, clock });
  });

  /** A producer's PUT, and its event as the rule's DLQ (EventBridge) or the Lambda's failure destination holds it. */
  async function lostEvent(key: string, shape: "eventbridge" | "lambda-failure" = "eventbridge"): Promise<string> {
    const body = `bytes of ${key}`;
    const out = await s3.send(new PutObjectCommand({ Bucket: landing, Key: key, Body: body }));
    const event = objectCreated(landing, key, { versionId: out.VersionId!, etag: out.ETag!.replace(/"/g, ""), sequencer: "0A", size: body.length });
    if (shape === "eventbridge") return JSON.stringify(event);
    return JSON.stringify({
      version: "1.0",
      timestamp: "2026-11-21T10:20:00.000Z",
      requestContext: { requestId: "r-1", functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:datalake-dev-file-arrival:$LATEST", condition: "RetriesExhausted", approximateInvokeCount: 3 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "ProvisionedThroughputExceededException", errorMessage: "throttled" },
    });
  }

  const send = (body: string) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const depth = async () => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    return Number(out.Attributes!.ApproximateNumberOfMessages) + Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible);
  };
  const visible = async () => Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }))).Attributes!.ApproximateNumberOfMessages);
  const options = (over: Partial<RedriveOptions> = {}): RedriveOptions & { lines: string[] } => {
    const lines: string[] = [];
    return { sqs, queueUrl, deps, dryRun: false, startRuns: false, dropRepaired: false, max: 100, visibilitySeconds: 60, waitSeconds: 0, progress: (l) => lines.push(l), lines, ...over };
  };

  it("re-delivers both message shapes through file-arrival, deletes them, and keeps what it cannot re-deliver", async () => {
    await send(await lostEvent("orders/2026/LOAD00000001.csv"));
    await send(await lostEvent("orders/discount 100%.csv", "lambda-failure"));
    await send(JSON.stringify(stateChangeEvent("datalake-dev-orders", "jr_1", "SUCCEEDED")));
    await send("not json");
    const o = options();

    const summary = await redriveQueue(o);

    expect(summary).to.deep.equal({ received: 4, redriven: { PENDING: 2 }, dropped: 0, kept: 2, failed: 0 });
    const files = await allFiles(audit);
    expect(files.map((f) => `${f.key}:${f.status}`).sort()).to.deep.equal(["orders/2026/LOAD00000001.csv:PENDING", "orders/discount 100%.csv:PENDING"]);
    expect(glue.startCalls, "runs are left to the reconciler").to.equal(0);
    expect(await depth()).to.equal(2);
    expect(await visible(), "kept messages are visible again at once").to.equal(2);
    expect(o.lines.filter((l) => /redriven {2}Object Created .*: PENDING$/.test(l))).to.have.length(2);
    expect(summaryLine(summary, false)).to.equal("redrive: 4 message(s): 2 redriven (2 pending), 0 dropped, 2 kept, 0 failed");
  });

  it("deletes a message only after success: a failed re-delivery stays queued, the next redrive files it once", async () => {
    await send(await lostEvent("orders/a.csv"));
    db.fault = (c) => (c.constructor?.name === "PutCommand" ? crashError() : undefined);

    const failed = await redriveQueue(options());
    db.fault = undefined;
    const retried = await redriveQueue(options());
    const again = await redriveQueue(options());

    expect(failed).to.include({ received: 1, failed: 1 });
    expect(retried.redriven).to.deep.equal({ PENDING: 1 });
    expect(again.received).to.equal(0);
    expect(await allFiles(audit)).to.have.length(1);
    expect(await depth()).to.equal(0);
  });

  it("a message whose version was filed meanwhile (sweep, retry) is a DUPLICATE and is deleted", async () => {
    const body = await lostEvent("orders/a.csv");
    await send(body);
    await send(body);

    const summary = await redriveQueue(options());

    expect(summary.redriven).to.deep.equal({ PENDING: 1, DUPLICATE: 1 });
    expect(await depth()).to.equal(0);
  });

  it("--drop-repaired deletes the events the reconciler repairs; --start-runs starts the run now", async () => {
    await send(await lostEvent("orders/a.csv"));
    await send(JSON.stringify(stateChangeEvent("datalake-dev-orders", "jr_1", "SUCCEEDED")));

    const summary = await redriveQueue(options({ dropRepaired: true, startRuns: true }));

    expect(summary).to.include({ dropped: 1, kept: 0 });
    expect(glue.startCalls).to.equal(1);
    expect(await depth()).to.equal(0);
  });

  it("the verb's --dry-run lists every message and leaves them all visible", async () => {
    await send(await lostEvent("orders/a.csv"));
    await send(JSON.stringify(stateChangeEvent("datalake-dev-orders", "jr_1", "SUCCEEDED")));
    const io = recordingIo();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint, AWS_REGION: MOTO_REGION, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" });
    let code: number;
    try {
      code = await main(["redrive", "--queue-url", queueUrl, "--dry-run"], io);
    } finally {
      for (const k of ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }

    expect(code, io.stderr.join("\n")).to.equal(0);
    expect(io.stdout.filter((l) => /would redrive {2}Object Created s3:\/\/.*\/orders\/a\.csv#/.test(l))).to.have.length(1);
    expect(io.stdout.filter((l) => /would keep {2}Glue Job State Change/.test(l))).to.have.length(1);
    expect(io.stdout.at(-1)).to.equal("redrive (dry run): 2 message(s) listed, none changed");
    expect(await visible()).to.equal(2);
    expect(await allFiles(audit)).to.have.length(0);
  });

  it("usage: a queue is required, and re-delivery needs the stack outputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "redrive-"));
    try {
      writeFileSync(join(dir, "outputs.json"), JSON.stringify({ landingBucket: "l", opsBucket: "o", auditTable: "t" }));
      const cases: [string[], number, RegExp][] = [
        [["redrive"], 2, /--stack-outputs FILE or --queue-url URL is required/],
        [["redrive", "--queue-url", "http://q"], 2, /--stack-outputs FILE is required to re-deliver/],
        [["redrive", "--stack-outputs", join(dir, "outputs.json"), "--queue", "nope"], 2, /unknown --queue nope/],
        [["redrive", "--stack-outputs", join(dir, "outputs.json")], 1, /no eventDlqUrl \(deploy this version first, or pass --queue-url\)/],
        [["redrive", "--stack-outputs", join(dir, "missing.json")], 1, /cannot read --stack-outputs/],
      ];
      for (const [argv, exit, message] of cases) {
        const io = recordingIo();
        expect(await main(argv, io), argv.join(" ")).to.equal(exit);
        expect(io.stderr.join("\n"), argv.join(" ")).to.match(message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
