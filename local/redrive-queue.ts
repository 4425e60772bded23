// `datalake redrive`'s work: read a dead-letter queue and re-deliver each "Object Created" event
// through file-arrival's core (handlers/core/file-arrival.ts) in this process, deleting a message
// only once its event has a FILE item. The FILE item is the dedupe, so a message whose object was
// filed meanwhile (by the landing sweep, or a retry) is a DUPLICATE and is deleted too.
//
// Two message shapes reach the stack's queues: an EventBridge target DLQ message is the event
// itself; a Lambda async failure record wraps it in `requestPayload`.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { handleFileArrival } from "../handlers/core/file-arrival";
import { describeError } from "../handlers/core/glue-errors";
import type { HandlerDeps } from "../handlers/ports";

/** Events the reconciler repairs on its own: a lost job-state event, a missed schedule tick. */
const REPAIRED_BY_RECONCILER = ["Glue Job State Change", "Scheduled Event"];

export interface RedriveOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** The stack's handler dependencies; not needed for a dry run. */
  deps?: HandlerDeps;
  /** List the messages and leave them in the queue (visible again at the end). */
  dryRun: boolean;
  /** Start runs now instead of leaving the PENDING files to the reconciler's next tick. */
  startRuns: boolean;
  /** Delete the events the reconciler repairs by itself (job state changes, schedule ticks). */
  dropRepaired: boolean;
  /** Messages to handle at most. */
  max: number;
  /** How long a received message stays hidden from other readers while it is handled. */
  visibilitySeconds: number;
  /** Long-poll wait per receive: 0 can answer "empty" for a queue that is not. */
  waitSeconds: number;
  progress(line: string): void;
}

export interface RedriveSummary {
  received: number;
  /** Re-delivered and deleted, by file-arrival outcome (PENDING, DUPLICATE, SKIPPED). */
  redriven: Record<string, number>;
  dropped: number;
  /** Left in the queue: not an event this command re-delivers, or a dry run. */
  kept: number;
  /** Re-delivery threw (audit table, S3, KMS trouble): left in the queue for a later redrive. */
  failed: number;
}

type Classified =
  | { kind: "object-created"; event: Record<string, any>; what: string }
  | { kind: "repaired"; what: string }
  | { kind: "unknown"; what: string };

/** The EventBridge event a DLQ message carries, and what to do with it. */
export function classifyMessage(body: string | undefined): Classified {
  let parsed: any;
  try {
    parsed = JSON.parse(body ?? "");
  } catch {
    return { kind: "unknown", what: "body is not JSON" };
  }
  const event = parsed?.["detail-type"] !== undefined ? parsed : parsed?.requestPayload;
  const detailType = event?.["detail-type"];
  if (typeof detailType !== "string") return { kind: "unknown", what: "neither an EventBridge event nor a Lambda failure record" };
  if (detailType === "Object Created") {
    const o = event.detail?.object ?? {};
    return { kind: "object-created", event, what: `Object Created s3://${event.detail?.bucket?.name}/${o.key}${o["version-id"] ? `#${o["version-id"]}` : ""}` };
  }
  return { kind: REPAIRED_BY_RECONCILER.includes(detailType) ? "repaired" : "unknown", what: detailType };
}

export async function redriveQueue(o: RedriveOptions): Promise<RedriveSummary> {
  const summary: RedriveSummary = { received: 0, redriven: {}, dropped: 0, kept: 0, failed: 0 };
  if (!o.dryRun && !o.deps) throw new Error("redriveQueue: deps are required unless dryRun");
  const seen = new Set<string>();
  const leave: Message[] = [];
  while (summary.received < o.max) {
    const out = await o.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: o.queueUrl,
        MaxNumberOfMessages: Math.min(10, o.max - summary.received),
        VisibilityTimeout: o.visibilitySeconds,
        WaitTimeSeconds: o.waitSeconds,
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) {
      seen.add(m.MessageId!);
      summary.received++;
      if (!(await handleMessage(o, m, summary))) leave.push(m);
    }
  }
  await makeVisible(o, leave);
  return summary;
}

/** Returns true when the message was deleted. */
async function handleMessage(o: RedriveOptions, m: Message, summary: RedriveSummary): Promise<boolean> {
  const c = classifyMessage(m.Body);
  const id = m.MessageId;
  if (o.dryRun) {
    o.progress(`${id}  ${c.kind === "object-created" ? "would redrive" : c.kind === "repaired" && o.dropRepaired ? "would drop" : "would keep"}  ${c.what}`);
    summary.kept++;
    return false;
  }
  if (c.kind !== "object-created") {
    if (c.kind === "repaired" && o.dropRepaired) {
      await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle }));
      o.progress(`${id}  dropped  ${c.what} (the reconciler repairs it)`);
      summary.dropped++;
      return true;
    }
    o.progress(`${id}  kept  ${c.what}${c.kind === "repaired" ? " (the reconciler repairs it; --drop-repaired deletes it)" : ""}`);
    summary.kept++;
    return false;
  }
  try {
    const result = await handleFileArrival(o.deps!, c.event, { startRun: o.startRuns });
    if (result.outcome === "REJECTED" || result.outcome === "IGNORED") {
      o.progress(`${id}  kept  ${c.what}: ${result.outcome.toLowerCase()}, ${result.reason}`);
      summary.kept++;
      return false;
    }
    // Only now: the object version has its FILE item.
    await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle }));
    const detail = result.outcome === "SKIPPED" ? ` (${result.reason})` : result.outcome === "DUPLICATE" ? ` (already ${result.status})` : "";
    o.progress(`${id}  redriven  ${c.what}: ${result.outcome}${detail}`);
    summary.redriven[result.outcome] = (summary.redriven[result.outcome] ?? 0) + 1;
    return true;
  } catch (err) {
    o.progress(`${id}  failed  ${c.what}: ${describeError(err)} (stays in the queue)`);
    summary.failed++;
    return false;
  }
}

/** Messages left in the queue become visible again now, not when their visibility timeout ends. */
async function makeVisible(o: RedriveOptions, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
    await o.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: o.queueUrl, Entries: entries }));
  }
}

export function summaryLine(s: RedriveSummary, dryRun: boolean): string {
  const redriven = Object.values(s.redriven).reduce((a, b) => a + b, 0);
  const by = Object.entries(s.redriven).map(([outcome, n]) => `${n} ${outcome.toLowerCase()}`).join(", ");
  if (dryRun) return `redrive (dry run): ${s.received} message(s) listed, none changed`;
  return `redrive: ${s.received} message(s): ${redriven} redriven${by ? ` (${by})` : ""}, ${s.dropped} dropped, ${s.kept} kept, ${s.failed} failed`;
}
