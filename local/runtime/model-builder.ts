// Local mode's model builds (ARCHITECTURE "Semantic layer", Orchestration): after a load publishes,
// the models whose inputs it changed are rebuilt, dimensions before facts. Builds are coalesced:
// one build at a time, and every dataset that published while it ran is covered by the next one.
// A model failure is reported (progress line, FAILED RUN item) and fails no load: the model keeps
// its last published version.
import type { ModelSummary } from "../../engine/duckdb/build-models";
import type { RunItem } from "../../handlers/audit/items";
import type { AuditStore } from "../../handlers/audit/store";
import type { ProgressEvent } from "./progress";

/** Builds the models a load of `changed` datasets affects (engine/duckdb buildModels). */
export type ModelBuild = (changed: string[]) => Promise<ModelSummary[]>;

/** Job name of the RUN items of model builds (a load's carry its Glue job's). */
export const MODEL_BUILD_JOB = "datalake build";

/** A model build as a RUN item: `dataset` is the model's name. */
export function modelRunItem(s: ModelSummary): RunItem {
  return {
    kind: "RUN",
    runId: s.runId,
    dataset: s.model,
    jobName: MODEL_BUILD_JOB,
    model: true,
    status: s.status === "built" ? "SUCCEEDED" : "FAILED",
    createdAt: s.startedAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    executionSeconds: Math.round(s.durationMs / 100) / 10,
    audits: s.audits,
    ...(s.error ? { error: s.error } : {}),
  };
}

export class ModelBuilder {
  private readonly pending = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly failed: string[] = [];
  private built = 0;

  constructor(
    private readonly build: ModelBuild,
    private readonly audit: AuditStore,
    private readonly emit: (e: ProgressEvent) => void,
  ) {}

  /** A load of `dataset` published: schedule the models it affects. */
  published(dataset: string): void {
    this.pending.add(dataset);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** A build is running or waiting to run. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Model runs that ended, and the `model:runId` of the failed ones. */
  report(): { runs: number; failed: string[] } {
    return { runs: this.built + this.failed.length, failed: [...this.failed] };
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const changed = [...this.pending].sort();
      this.pending.clear();
      let summaries: ModelSummary[];
      try {
        summaries = await this.build(changed);
      } catch (err) {
        this.emit({ type: "notice", level: "error", message: `model build after ${changed.join(", ")}: ${(err as Error).message.split("\n")[0]}` });
        continue;
      }
      for (const s of summaries) {
        if (s.status === "failed") this.failed.push(`${s.model}:${s.runId}`);
        else if (s.status === "built") this.built++;
        if (s.status !== "skipped") {
          await this.audit.putRun(modelRunItem(s)).catch((err) =>
            this.emit({ type: "notice", level: "warn", message: `${s.model}: RUN item not recorded (${(err as Error).message})` }),
          );
        }
        this.emit({ type: "model", model: s.model, runId: s.runId, status: s.status, version: s.version, rows: s.rows, audits: s.audits.length, error: s.error, ms: s.durationMs });
      }
    }
  }
}
