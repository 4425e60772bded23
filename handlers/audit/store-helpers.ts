// What the audit store's item classes share: the client they need, and how they read items and
// conditional-write failures.

/** What the store needs of a DynamoDB document client (tests wrap it to inject throttling). */
export interface AuditDb {
  send(command: any): Promise<any>;
}

const KEY_ATTRS = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "expiresAt", "sequencerOrder"];

export function isConditionFailed(err: unknown): boolean {
  return (err as Error)?.name === "ConditionalCheckFailedException";
}

/** An item as the store returns it: without its key, index and TTL attributes. */
export function strip<T>(item: Record<string, unknown>): T {
  const copy = { ...item };
  for (const attr of KEY_ATTRS) delete copy[attr];
  return copy as T;
}

/**
 * Sends a conditional write: false when its condition failed (a duplicate, late or lost race).
 * `landed`: whether the item holds what the write set. The SDK retries a write whose answer was
 * lost (a 5xx, a dropped connection); when the first attempt had applied, the retry fails the
 * condition, and the write must still count as done when the item holds its values, or a move
 * it made (RUN -> FAILED) would never send its alarm.
 */
export async function sendConditional(db: AuditDb, command: unknown, landed?: () => Promise<boolean>): Promise<boolean> {
  try {
    await db.send(command);
    return true;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
    return attempts > 1 && landed !== undefined ? landed() : false;
  }
}
