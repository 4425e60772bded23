// Follows every routed object version until its FILE item reaches a terminal status, so the
// runtime can print one line per file and know when everything has settled. Reads are targeted
// batch gets (the files a finished run or handler touched), with a periodic sweep of all open files
// as the safety net: no scans, and no polling of the whole history.
import type { FileItem, FileStatus } from "../../handlers/audit/items";
import { FILE_TERMINAL_STATUSES } from "../../handlers/audit/items";
import type { AuditStore } from "../../handlers/audit/store";
import type { FileDone } from "./progress";

export interface TrackedFile {
  fileId: string;
  dataset: string;
  key: string;
  versionId: string;
  /** Epoch ms in this process when the file was noticed, for latency. */
  seenAt: number;
}

export interface TrackedOutcome {
  item: FileItem;
  /** Finished before this process started following it (an earlier session). */
  earlier: boolean;
}

export class FileTracker {
  private readonly open = new Map<string, TrackedFile>();
  private readonly done = new Map<string, TrackedOutcome>();

  constructor(
    private readonly audit: AuditStore,
    private readonly onDone: (e: FileDone, earlier: boolean) => void,
  ) {}

  follow(t: Omit<TrackedFile, "seenAt">, seenAt = Date.now()): void {
    if (this.done.has(t.fileId) || this.open.has(t.fileId)) return;
    this.open.set(t.fileId, { ...t, seenAt });
  }

  get openCount(): number {
    return this.open.size;
  }

  openFiles(): TrackedFile[] {
    return [...this.open.values()];
  }

  outcomes(): TrackedOutcome[] {
    return [...this.done.values()];
  }

  /** Reads the FILE items of `fileIds` (default: every open file) and closes the terminal ones. */
  async check(fileIds?: readonly string[], earlier = false): Promise<void> {
    const ids = (fileIds ?? [...this.open.keys()]).filter((id) => this.open.has(id));
    for (const item of await this.audit.getFilesConsistent(ids)) {
      const fileId = item.fileId;
      const t = this.open.get(fileId);
      if (!t || !isTerminal(item.status)) continue;
      this.open.delete(fileId);
      this.done.set(fileId, { item, earlier });
      this.onDone(
        {
          type: "file",
          dataset: item.dataset,
          key: item.key,
          versionId: t.versionId,
          status: item.status,
          reason: item.reason,
          runId: item.runId,
          rowsRead: item.rowsRead,
          rowsLoaded: item.rowsLoaded,
          rowsQuarantined: item.rowsQuarantined,
          rowsRejected: item.rowsRejected,
          ms: Date.now() - t.seenAt,
        },
        earlier,
      );
    }
  }
}

export function isTerminal(status: FileStatus): boolean {
  return FILE_TERMINAL_STATUSES.includes(status);
}
