// `datalake redrive`: re-deliver the events in a deployed stack's dead-letter queues through the
// file-arrival path (local/redrive-queue.ts), deleting each message only after its object version
// has a FILE item. Runs the handler core in this process with the operator's credentials, rather
// than invoking the file-arrival Lambda: it reports each message's outcome (PENDING, DUPLICATE,
// SKIPPED with the reason), needs no Lambda client, and works the same against emulators. The
// files it records are PENDING; the reconciler's next tick starts their runs (or --start-runs).
import { readFileSync } from "fs";
import { ArgSpec, intFlag, parseArgs, UsageError, usageText } from "../cli-args";
import type { CliIo } from "../cli-io";
import { CliError, type Verb } from "../cli-verb";

const QUEUES = { "event-dlq": "eventDlqUrl", "lambda-failures": "lambdaFailuresQueueUrl" } as const;
type QueueName = keyof typeof QUEUES;

const SPEC: ArgSpec = {
  flags: {
    "stack-outputs": { type: "string", value: "FILE", help: "the stack's `pulumi stack output --json` (buckets, audit table, jobs, queues)" },
    queue: { type: "string", value: "NAME", help: "event-dlq, lambda-failures or all (default all; needs --stack-outputs)" },
    "queue-url": { type: "string", value: "URL", help: "read this queue instead of the stack's" },
    "dry-run": { type: "boolean", help: "list the messages and what would happen; change nothing" },
    "start-runs": { type: "boolean", help: "start the load runs now instead of at the reconciler's next tick" },
    "drop-repaired": { type: "boolean", help: "delete Glue job state and schedule events (the reconciler repairs them)" },
    max: { type: "string", value: "N", help: "handle at most N messages per queue (default 10000)" },
  },
};
const SUMMARY = "re-deliver dead-lettered S3 events of a deployed stack through file-arrival (AWS credentials)";

/** What `pulumi stack output --json` gives that the command reads. */
interface StackOutputs {
  landingBucket?: string;
  opsBucket?: string;
  auditTable?: string;
  glueJobs?: Record<string, string>;
  eventDlqUrl?: string;
  lambdaFailuresQueueUrl?: string;
}

export const redriveVerb: Verb = {
  name: "redrive",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("redrive", argv, SPEC);
    if (args.help) {
      io.out(usageText("redrive", SUMMARY, SPEC));
      return 0;
    }
    const dryRun = args.flags["dry-run"] === true;
    const outputs = typeof args.flags["stack-outputs"] === "string" ? readOutputs(args.flags["stack-outputs"]) : undefined;
    const queues = queueUrls(args.flags["queue-url"], args.flags.queue, outputs);
    if (!dryRun && !outputs) throw new UsageError("redrive: --stack-outputs FILE is required to re-deliver (the dry run needs only --queue-url)");
    const max = intFlag("redrive", args, "max", 10_000);
    // Loaded here, not at the top: the AWS SDK would slow every other verb and --help.
    const { SQSClient } = await import("@aws-sdk/client-sqs");
    const { redriveQueue, summaryLine } = await import("../redrive-queue");
    const sqs = new SQSClient({});
    const deps = dryRun ? undefined : await stackDeps(outputs!, args.flags["start-runs"] === true);
    let failed = 0;
    try {
      for (const [name, queueUrl] of queues) {
        io.out(`${name}: ${queueUrl}`);
        const summary = await redriveQueue({
          sqs,
          queueUrl,
          deps,
          dryRun,
          startRuns: args.flags["start-runs"] === true,
          dropRepaired: args.flags["drop-repaired"] === true,
          max,
          visibilitySeconds: 300,
          waitSeconds: 1,
          progress: (line) => io.out(`  ${line}`),
        });
        io.out(summaryLine(summary, dryRun));
        failed += summary.failed;
      }
    } finally {
      sqs.destroy();
    }
    return failed > 0 ? 1 : 0;
  },
};

function readOutputs(path: string): StackOutputs {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new CliError(`cannot read --stack-outputs ${path} (write it with \`pulumi stack output --json > ${path}\`)`);
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as StackOutputs;
  } catch {
    throw new CliError(`--stack-outputs ${path} is not the JSON object \`pulumi stack output --json\` prints`);
  }
}

function queueUrls(url: string | boolean | undefined, name: string | boolean | undefined, outputs: StackOutputs | undefined): [string, string][] {
  if (typeof url === "string") return [["queue", url]];
  if (!outputs) throw new UsageError("redrive: --stack-outputs FILE or --queue-url URL is required");
  const names = name === undefined || name === "all" ? (Object.keys(QUEUES) as QueueName[]) : [name as QueueName];
  for (const n of names) if (!(n in QUEUES)) throw new UsageError(`redrive: unknown --queue ${n} (one of ${Object.keys(QUEUES).join(", ")}, all)`);
  return names.map((n) => {
    const value = outputs[QUEUES[n]];
    if (typeof value !== "string") throw new CliError(`the stack outputs have no ${QUEUES[n]} (deploy this version first, or pass --queue-url)`);
    return [n, value];
  });
}

/** The handler dependencies of the stack, on SDK clients with the operator's credentials. */
async function stackDeps(outputs: StackOutputs, startRuns: boolean) {
  for (const field of ["landingBucket", "opsBucket", "auditTable"] as const) {
    if (typeof outputs[field] !== "string") throw new CliError(`the stack outputs have no ${field}`);
  }
  const [{ DynamoDBClient }, { S3Client }, { DATASETS }, { createHandlerDeps }, { S3ObjectStore }, { awsGlueLauncher }, { silentLogger }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-s3"),
    import("../../datasets"),
    import("../../handlers/deps"),
    import("../../handlers/aws/s3-object-store"),
    import("../../handlers/aws/glue-launcher"),
    import("../../handlers/log"),
  ]);
  if (startRuns && typeof outputs.glueJobs !== "object") throw new CliError("the stack outputs have no glueJobs (needed by --start-runs)");
  return createHandlerDeps({
    dynamo: new DynamoDBClient({}),
    auditTable: outputs.auditTable!,
    objects: new S3ObjectStore(new S3Client({})),
    glue: awsGlueLauncher(),
    specs: DATASETS,
    jobNames: outputs.glueJobs ?? {},
    opsBucket: outputs.opsBucket!,
    landingBucket: outputs.landingBucket!,
    log: silentLogger,
  });
}
