// MODEL items (ModelState): the build requests and run slot of each semantic model on AWS
// (handlers/core/model-runs.ts). Every write is conditional or an atomic counter, so overlapping
// handlers (job-state, reconciler) can neither lose a request nor start two builds of one model.
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ModelState } from "./items";
import { type AuditDb, isConditionFailed, sendConditional, strip } from "./store-helpers";

const modelKey = (model: string) => ({ pk: `MODEL#${model}`, sk: "MODEL" });

export class ModelStates {
  constructor(private readonly db: AuditDb, private readonly tableName: string) {}

  async get(model: string): Promise<ModelState | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: modelKey(model), ConsistentRead: true }));
    return out.Item ? strip<ModelState>(out.Item) : undefined;
  }

  /** One more build is due: the counter only grows, so a request racing a running build is never lost. */
  async request(model: string, by: string, at: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(model),
        UpdateExpression: "SET #kind = :kind, #model = :model, requestedAt = :at, requestedBy = :by ADD requested :one",
        ExpressionAttributeNames: { "#kind": "kind", "#model": "model" },
        ExpressionAttributeValues: { ":kind": "MODEL", ":model": model, ":at": at, ":by": by, ":one": 1 },
      }),
    );
  }

  /**
   * Takes the slot for `runId` if it is free (or its lease expired) and a build is due. Returns
   * the request count the run answers (ModelState.requested at the take), or undefined.
   */
  async takeSlot(model: string, runId: string, nowMs: number, leaseMs: number): Promise<number | undefined> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: modelKey(model),
          UpdateExpression: "SET activeRunId = :run, leaseExpiresAt = :exp, takenAt = :at",
          ConditionExpression:
            "(attribute_not_exists(activeRunId) OR leaseExpiresAt < :now) AND attribute_exists(requested) AND (attribute_not_exists(handled) OR requested > handled)",
          ExpressionAttributeValues: { ":run": runId, ":exp": nowMs + leaseMs, ":at": new Date(nowMs).toISOString(), ":now": nowMs },
          ReturnValues: "ALL_NEW",
        }),
      );
      return (out.Attributes as ModelState).requested;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  /**
   * One more build if `plan` is not the plan last recorded here (a deploy changed it, or the model
   * was never built). Conditional, so overlapping reconcilers request it once. Returns whether it did.
   */
  async requestForPlan(model: string, plan: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(model),
        UpdateExpression: "SET #kind = :kind, #model = :model, requestedAt = :at, requestedBy = :by, #plan = :plan ADD requested :one",
        ConditionExpression: "attribute_not_exists(#plan) OR #plan <> :plan",
        ExpressionAttributeNames: { "#kind": "kind", "#model": "model", "#plan": "plan" },
        ExpressionAttributeValues: { ":kind": "MODEL", ":model": model, ":at": at, ":by": "deploy", ":plan": plan, ":one": 1 },
      }),
    );
  }

  /** Frees the slot only if `runId` still holds it. */
  async releaseSlot(model: string, runId: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(model),
        UpdateExpression: "REMOVE activeRunId, leaseExpiresAt, takenAt",
        ConditionExpression: "activeRunId = :run",
        ExpressionAttributeValues: { ":run": runId },
      }),
    );
  }

  /** The requests up to `covers` are answered (by a finished or refused run); never moves back. */
  async markHandled(model: string, covers: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(model),
        UpdateExpression: "SET handled = :c",
        ConditionExpression: "attribute_exists(requested) AND (attribute_not_exists(handled) OR handled < :c)",
        ExpressionAttributeValues: { ":c": covers },
      }),
    );
  }

  private conditional(command: unknown): Promise<boolean> {
    return sendConditional(this.db, command);
  }
}
