// Every FILE, RUN, DATASET and MODEL item of an audit table, by a consistent Scan: the proof must see
// items whatever their dataset says (the byDataset index only answers for names it is asked),
// and a verify is a rare, deliberate read of the whole table.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { FileItem, ModelState, RunItem, SlotItem } from "../../handlers/audit/items";
import { type AuditDb, strip } from "../../handlers/audit/store";

export interface AuditItems {
  files: FileItem[];
  runs: RunItem[];
  slots: SlotItem[];
}

function modelSlot(state: ModelState): SlotItem {
  return { kind: "DATASET", dataset: state.model, activeRunId: state.activeRunId, leaseExpiresAt: state.leaseExpiresAt, takenAt: state.takenAt };
}

export async function scanAuditItems(db: AuditDb, table: string, progress?: (scanned: number) => void): Promise<AuditItems> {
  const out: AuditItems = { files: [], runs: [], slots: [] };
  let startKey: Record<string, unknown> | undefined;
  let scanned = 0;
  do {
    const page = await db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const raw of (page.Items ?? []) as Record<string, unknown>[]) {
      const item = strip<Record<string, unknown>>(raw);
      // The slot item only gets its `kind` once taken; its key says what it is.
      if (String(raw.pk).startsWith("FILE#")) out.files.push(item as unknown as FileItem);
      else if (String(raw.pk).startsWith("RUN#")) out.runs.push(item as unknown as RunItem);
      else if (String(raw.pk).startsWith("DATASET#")) out.slots.push({ ...item, dataset: String(raw.pk).slice("DATASET#".length) } as SlotItem);
      // A model's slot is on its MODEL item (model names never equal dataset names): a build in
      // flight holds it, so its open RUN is live, not stuck.
      else if (String(raw.pk).startsWith("MODEL#")) out.slots.push(modelSlot(item as unknown as ModelState));
    }
    scanned += page.Items?.length ?? 0;
    progress?.(scanned);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}
