// The audit store: every read and conditional write of FILE / RUN / DATASET items. Used by the
// three handlers and by the CLI `audit` verb. Every status change is a conditional write, so a
// duplicate, late or concurrent caller is a no-op instead of a regression.
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ModelStates } from "./model-states";
import { AUDIT_INDEX } from "./schema";
import { type AuditDb, isConditionFailed, sendConditional, strip } from "./store-helpers";

export { type AuditDb, isConditionFailed, strip } from "./store-helpers";
import {
  FILE_OPEN_STATUSES,
  FileFinal,
  FileItem,
  LoadedContentItem,
  RUN_OPEN_STATUSES,
  RunItem,
  RunStatus,
  SlotItem,
  SweepCursor,
} from "./items";

export interface AuditStoreOptions {
  /** TTL of finished FILE/RUN items in days. @default 400 */
  finishedTtlDays?: number;
  /** Clock for TTL stamps. @default Date.now */
  now?: () => number;
}

export interface ListOptions {
  /** ISO lower bound (inclusive) on receivedAt / createdAt. */
  since?: string;
  /** ISO upper bound (exclusive). */
  until?: string;
  limit?: number;
  /** Newest first. @default false */
  newestFirst?: boolean;
}

const fileKey = (fileId: string) => ({ pk: `FILE#${fileId}`, sk: "FILE" });
const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: "RUN" });
const slotKey = (dataset: string) => ({ pk: `DATASET#${dataset}`, sk: "SLOT" });
const sweepKey = (dataset: string) => ({ pk: `SWEEP#${dataset}`, sk: "SWEEP" });
const loadedKey = (bucket: string, key: string) => ({ pk: `LOADED#${bucket}/${key}`, sk: "LOADED" });
const pendingPk = (dataset: string) => `PENDING#${dataset}`;
const ACTIVE_RUNS = "ACTIVE_RUNS";

/**
 * An index sort key `<ISO time>#<id>`. DynamoDB refuses a key attribute over 1024 bytes (GSI keys
 * too; dynalite does not check), and an S3 key alone may be 1024 bytes: a longer one keeps its
 * time prefix, which is all the index is read by (time ranges, newest first), and names the id by
 * its SHA-256. The item's own key (pk, up to 2048 bytes) keeps the whole id.
 */
export function indexSortKey(time: string, id: string): string {
  const plain = `${time}#${id}`;
  return Buffer.byteLength(plain, "utf8") <= MAX_INDEX_KEY_BYTES ? plain : `${time}#sha256:${createHash("sha256").update(id).digest("hex")}`;
}
const MAX_INDEX_KEY_BYTES = 1024;

/** S3 sequencers compare as hex strings padded on the right (s3-event.ts compareSequencers). */
function sequencerOrder(sequencer: string): string {
  return sequencer.toUpperCase().padEnd(48, "0");
}

export class AuditStore {
  readonly db: AuditDb;
  /** MODEL items: semantic models' build requests and run slots (AWS orchestration). */
  readonly models: ModelStates;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(db: AuditDb, readonly tableName: string, options: AuditStoreOptions = {}) {
    this.db = db;
    this.models = new ModelStates(db, tableName);
    this.ttlSeconds = (options.finishedTtlDays ?? 400) * 86_400;
    this.now = options.now ?? Date.now;
  }

  /** A store over a plain DynamoDBClient (AWS, or dynalite via `endpoint`). */
  static fromClient(client: DynamoDBClient, tableName: string, options?: AuditStoreOptions): AuditStore {
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    return new AuditStore(doc, tableName, options);
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.ttlSeconds;
  }

  // ---- FILE ----------------------------------------------------------------------------------

  /** Records a FILE item once per object version. Returns the existing item when already there. */
  async createFile(file: FileItem): Promise<{ created: boolean; item: FileItem }> {
    const open = FILE_OPEN_STATUSES.includes(file.status);
    const item: Record<string, unknown> = {
      ...fileKey(file.fileId),
      ...file,
      gsi1pk: `FILES#${file.dataset}`,
      gsi1sk: indexSortKey(file.receivedAt, file.fileId),
      ...(file.status === "PENDING" ? { gsi2pk: pendingPk(file.dataset), gsi2sk: indexSortKey(file.receivedAt, file.fileId) } : {}),
      ...(open ? {} : { expiresAt: this.expiresAt() }),
    };
    try {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      return { created: true, item: file };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const existing = await this.getFile(file.fileId);
      if (!existing) throw err;
      return { created: false, item: existing };
    }
  }

  /**
   * Replaces a FAILED FILE item with the outcome of a retry of the same object version. Only
   * `datalake load` retries a version (its versions are content hashes, and it holds the
   * workspace lock); the event path loads a new version instead.
   */
  async replaceFailedFile(file: FileItem): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: this.finalFileItem(file),
        ConditionExpression: "#s = :failed",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":failed": "FAILED" },
      }),
    );
  }

  /**
   * Replaces the FILE item of a version that a run loaded and a rollback then undid with the
   * outcome of the `datalake load` that loads it again (the same content-hash version), while the
   * item still names the undone run.
   */
  async replaceUndoneFile(file: FileItem, undoneRunId: string): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: this.finalFileItem(file),
        ConditionExpression: "runId = :undone",
        ExpressionAttributeValues: { ":undone": undoneRunId },
      }),
    );
  }

  private finalFileItem(file: FileItem): Record<string, unknown> {
    return { ...fileKey(file.fileId), ...file, gsi1pk: `FILES#${file.dataset}`, gsi1sk: indexSortKey(file.receivedAt, file.fileId), expiresAt: this.expiresAt() };
  }

  async getFile(fileId: string): Promise<FileItem | undefined> {
    return this.get<FileItem>(fileKey(fileId));
  }

  /**
   * Strongly consistent reads of many FILE items (BatchGetItem, 100 per call). The pending index
   * is eventually consistent on AWS, so a run re-reads what it is about to load.
   */
  async getFilesConsistent(fileIds: readonly string[]): Promise<FileItem[]> {
    const out: FileItem[] = [];
    for (let i = 0; i < fileIds.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = fileIds.slice(i, i + 100).map(fileKey);
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const page: any = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of page.Responses?.[this.tableName] ?? []) out.push(strip<FileItem>(item));
        keys = page.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return out;
  }

  /** PENDING files of a dataset, oldest first (sparse index: reads only outstanding work). */
  async listPendingFiles(dataset: string, limit: number): Promise<FileItem[]> {
    return this.queryAll<FileItem>(
      { IndexName: AUDIT_INDEX.outstanding, KeyConditionExpression: "gsi2pk = :p", ExpressionAttributeValues: { ":p": pendingPk(dataset) } },
      limit,
    );
  }

  /** PENDING -> RUNNING for the files of a started run. Returns the ids that moved. */
  async markFileRunning(fileId: string, runId: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fileKey(fileId),
        UpdateExpression: "SET #s = :running, runId = :run REMOVE gsi2pk, gsi2sk",
        ConditionExpression: "#s IN (:pending, :queued) AND (attribute_not_exists(runId) OR runId = :run)",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":running": "RUNNING", ":pending": "PENDING", ":queued": "QUEUED", ":run": runId },
      }),
    );
  }

  /**
   * Open -> terminal. With `runId`, only a file that is unclaimed or claimed by that run moves;
   * a terminal file never changes (FAILED never overwrites SUCCEEDED, a late event is a no-op).
   */
  async finalizeFile(fileId: string, final: FileFinal, runId?: string, finishedAt = new Date(this.now()).toISOString()): Promise<boolean> {
    const names: Record<string, string> = { "#s": "status" };
    const values: Record<string, unknown> = {
      ":final": final.status,
      ":pending": "PENDING",
      ":queued": "QUEUED",
      ":running": "RUNNING",
      ":fin": finishedAt,
      ":exp": this.expiresAt(),
    };
    const sets = ["#s = :final", "finishedAt = :fin", "expiresAt = :exp"];
    const add = (attr: string, value: unknown) => {
      if (value === undefined) return;
      // Placeholders for every name: DynamoDB reserves many plain words.
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      sets.push(`#${attr} = :${attr}`);
    };
    add("reason", final.reason);
    add("note", final.note);
    add("runId", runId);
    add("rowsRead", final.counts?.rowsRead);
    add("rowsLoaded", final.counts?.rowsLoaded);
    add("rowsQuarantined", final.counts?.rowsQuarantined);
    add("rowsRejected", final.counts?.rowsRejected);
    add("extraColumns", final.counts?.extraColumns);
    add("extraColumnCount", final.counts?.extraColumnCount);
    let condition = "#s IN (:pending, :queued, :running)";
    if (runId !== undefined) condition += " AND (attribute_not_exists(#runId) OR #runId = :runId)";
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fileKey(fileId),
        UpdateExpression: `SET ${sets.join(", ")} REMOVE gsi2pk, gsi2sk`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** What the key's last successfully loaded version held (undefined: none loaded yet). */
  async getLoadedContent(bucket: string, key: string): Promise<LoadedContentItem | undefined> {
    return this.get<LoadedContentItem>(loadedKey(bucket, key));
  }

  /**
   * Records a successfully loaded version as its key's latest content, unless a later version
   * (by S3 sequencer) is already recorded: runs may finish out of arrival order. No TTL: the
   * record must outlive the FILE items it summarizes.
   */
  async putLoadedContent(item: LoadedContentItem): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...loadedKey(item.bucket, item.key), ...item, sequencerOrder: sequencerOrder(item.sequencer) },
        ConditionExpression: "attribute_not_exists(pk) OR sequencerOrder <= :order",
        ExpressionAttributeValues: { ":order": sequencerOrder(item.sequencer) },
      }),
    );
  }

  /**
   * A version of the key was filed to load (PENDING): until a load records its content, the
   * key's newest content is unknown, and a later version with the bytes of the one loaded before
   * is no duplicate (it may be the producer going back to them while this one is in flight).
   * Replaces the record unless a later version (by sequencer) is recorded. A version the landing
   * sweep filed has no sequencer (ListObjectVersions gives none), so it cannot be ordered: it
   * marks the record pending whatever it holds, and keeps the record's sequencer, so its own load
   * (sequencer "") cannot record its content over a later version's. Loading identical bytes
   * again costs little; skipping the newest content would lose it.
   */
  async markContentPending(file: Pick<LoadedContentItem, "bucket" | "key" | "fileId" | "versionId" | "sequencer">): Promise<boolean> {
    const swept = file.sequencer === "";
    const set: Record<string, unknown> = { kind: "LOADED", bucket: file.bucket, key: file.key, fileId: file.fileId, versionId: file.versionId, etag: "", loadedAt: "", pending: true };
    const ordered: Record<string, unknown> = { sequencer: file.sequencer, sequencerOrder: sequencerOrder(file.sequencer) };
    // Every name through a placeholder: several (key, bucket) are DynamoDB reserved words.
    const assign = (name: string, keep: boolean) => (keep ? `#${name} = if_not_exists(#${name}, :${name})` : `#${name} = :${name}`);
    const all = { ...set, ...ordered };
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: loadedKey(file.bucket, file.key),
        UpdateExpression: `SET ${[...Object.keys(set).map((n) => assign(n, false)), ...Object.keys(ordered).map((n) => assign(n, swept))].join(", ")} REMOVE #checksums`,
        ExpressionAttributeNames: Object.fromEntries([...Object.keys(all), "checksums"].map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(all).map(([n, v]) => [`:${n}`, v])),
        ...(swept ? {} : { ConditionExpression: "attribute_not_exists(pk) OR #sequencerOrder <= :sequencerOrder" }),
      }),
    );
  }

  /** Forgets a key's loaded content if `fileId` loaded it (its run was rolled back). */
  async deleteLoadedContent(bucket: string, key: string, fileId: string): Promise<boolean> {
    return this.conditional(
      new DeleteCommand({
        TableName: this.tableName,
        Key: loadedKey(bucket, key),
        ConditionExpression: "fileId = :f",
        ExpressionAttributeValues: { ":f": fileId },
      }),
    );
  }

  /** Files of a dataset by receivedAt (CLI `audit`). */
  async listFiles(dataset: string, options: ListOptions = {}): Promise<FileItem[]> {
    return this.listByDataset<FileItem>(`FILES#${dataset}`, options);
  }

  // ---- RUN -----------------------------------------------------------------------------------

  async putRun(run: RunItem): Promise<boolean> {
    const item = {
      ...runKey(run.runId),
      ...run,
      gsi1pk: `RUNS#${run.dataset}`,
      gsi1sk: indexSortKey(run.createdAt, run.runId),
      ...(RUN_OPEN_STATUSES.includes(run.status) ? { gsi2pk: ACTIVE_RUNS, gsi2sk: indexSortKey(run.createdAt, run.runId) } : {}),
    };
    return this.conditional(
      new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
    );
  }

  async getRun(runId: string): Promise<RunItem | undefined> {
    return this.get<RunItem>(runKey(runId));
  }

  /** The RUN of a Glue job run id (GSI: eventually consistent on AWS). */
  async getRunByJobRunId(jobRunId: string): Promise<RunItem | undefined> {
    const items = await this.queryAll<RunItem>(
      { IndexName: AUDIT_INDEX.byJobRun, KeyConditionExpression: "jobRunId = :j", ExpressionAttributeValues: { ":j": jobRunId } },
      1,
    );
    return items[0];
  }

  /** QUEUED and RUNNING runs of every dataset (sparse index). */
  async listActiveRuns(limit = 1000): Promise<RunItem[]> {
    return this.queryAll<RunItem>(
      { IndexName: AUDIT_INDEX.outstanding, KeyConditionExpression: "gsi2pk = :p", ExpressionAttributeValues: { ":p": ACTIVE_RUNS } },
      limit,
    );
  }

  async listRuns(dataset: string, options: ListOptions = {}): Promise<RunItem[]> {
    return this.listByDataset<RunItem>(`RUNS#${dataset}`, options);
  }

  /**
   * Moves a run from one of `from` to `patch.status` (or just patches it when no status is
   * given), conditionally. Terminal statuses drop the run from the active index and get a TTL.
   */
  async updateRun(runId: string, from: readonly RunStatus[], patch: Partial<Omit<RunItem, "kind" | "runId">>): Promise<boolean> {
    const names: Record<string, string> = { "#s": "status" };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [attr, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      sets.push(`#${attr} = :${attr}`);
    }
    if (patch.status !== undefined && !RUN_OPEN_STATUSES.includes(patch.status)) {
      values[":exp"] = this.expiresAt();
      sets.push("expiresAt = :exp");
      removes.push("gsi2pk", "gsi2sk");
    }
    from.forEach((s, i) => (values[`:from${i}`] = s));
    // Retried after a lost answer: the RUN holding every value this update set (a finishedAt to
    // the millisecond among them) is this update's move.
    const landed = async () => {
      const run = (await this.getRun(runId)) as Record<string, unknown> | undefined;
      return run !== undefined && Object.entries(patch).every(([attr, value]) => value === undefined || isDeepStrictEqual(run[attr], value));
    };
    return sendConditional(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: runKey(runId),
        UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ConditionExpression: `attribute_exists(pk) AND #s IN (${from.map((_, i) => `:from${i}`).join(", ")})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
      landed,
    );
  }

  // ---- DATASET (run slot) --------------------------------------------------------------------

  async getSlot(dataset: string): Promise<SlotItem | undefined> {
    return this.get<SlotItem>(slotKey(dataset));
  }

  /** Takes the dataset's run slot for `runId` when free or its lease expired. */
  async tryTakeSlot(dataset: string, runId: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: slotKey(dataset),
        UpdateExpression: "SET #kind = :kind, #ds = :ds, activeRunId = :run, leaseExpiresAt = :exp, takenAt = :at",
        ConditionExpression: "attribute_not_exists(activeRunId) OR leaseExpiresAt < :now",
        ExpressionAttributeNames: { "#kind": "kind", "#ds": "dataset" },
        ExpressionAttributeValues: {
          ":kind": "DATASET",
          ":ds": dataset,
          ":run": runId,
          ":exp": nowMs + leaseMs,
          ":at": new Date(nowMs).toISOString(),
          ":now": nowMs,
        },
      }),
    );
  }

  /**
   * Frees the slot only if `runId` still holds it. `finishPublishOf`, in the same write: a run id
   * sets SlotItem.finishPublishOf, null clears it, undefined leaves it.
   */
  async releaseSlot(dataset: string, runId: string, finishPublishOf?: string | null): Promise<boolean> {
    const set = typeof finishPublishOf === "string";
    const removed = ["activeRunId", "leaseExpiresAt", "takenAt", ...(finishPublishOf === null ? ["finishPublishOf"] : [])];
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: slotKey(dataset),
        UpdateExpression: `${set ? "SET finishPublishOf = :finish " : ""}REMOVE ${removed.join(", ")}`,
        ConditionExpression: "activeRunId = :run",
        ExpressionAttributeValues: { ":run": runId, ...(set ? { ":finish": finishPublishOf } : {}) },
      }),
    );
  }

  // ---- SWEEP (landing sweep watermark) -------------------------------------------------------

  async getSweepCursor(dataset: string): Promise<SweepCursor | undefined> {
    return this.get<SweepCursor>(sweepKey(dataset));
  }

  /** Last writer wins: overlapping sweeps only repeat work, and every FILE write is conditional. */
  async putSweepCursor(cursor: SweepCursor): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...sweepKey(cursor.dataset), ...cursor } }));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private conditional(command: unknown): Promise<boolean> {
    return sendConditional(this.db, command);
  }

  private async get<T>(key: Record<string, string>): Promise<T | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item ? strip<T>(out.Item) : undefined;
  }

  private async listByDataset<T>(pk: string, options: ListOptions): Promise<T[]> {
    const values: Record<string, unknown> = { ":p": pk };
    let condition = "gsi1pk = :p";
    if (options.since !== undefined && options.until !== undefined) {
      condition += " AND gsi1sk BETWEEN :since AND :until";
      values[":since"] = options.since;
      values[":until"] = options.until;
    } else if (options.since !== undefined) {
      condition += " AND gsi1sk >= :since";
      values[":since"] = options.since;
    } else if (options.until !== undefined) {
      condition += " AND gsi1sk < :until";
      values[":until"] = options.until;
    }
    return this.queryAll<T>(
      {
        IndexName: AUDIT_INDEX.byDataset,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ScanIndexForward: !options.newestFirst,
      },
      options.limit ?? Number.MAX_SAFE_INTEGER,
    );
  }

  private async queryAll<T>(input: Omit<QueryCommandInput, "TableName">, limit: number): Promise<T[]> {
    const out: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: startKey, Limit: Math.min(limit - out.length, 1000) }),
      );
      for (const item of page.Items ?? []) out.push(strip<T>(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey && out.length < limit);
    return out;
  }
}
