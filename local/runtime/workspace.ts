// Where local mode keeps things inside a workspace. One function so the runtime, the CLI verbs
// and the tests agree on every path (the engine owns bronze/, silver/ and quarantine/).
import { join, resolve } from "path";

/** Names local mode uses where AWS would have real resource names. */
export const LOCAL_NAMES = {
  landingBucket: "local-landing",
  opsBucket: "local-ops",
  auditTable: "datalake-audit",
  region: "local",
  account: "000000000000",
  /** Glue job name of a dataset (AWS: one job per dataset). */
  jobName: (dataset: string): string => `datalake-${dataset}`,
} as const;

export interface WorkspacePaths {
  root: string;
  /** Producers drop files here: landing/<prefix>/... */
  landing: string;
  /** Manifests, summaries, job runs, the version log: the ops bucket's local twin. */
  ops: string;
  /** One immutable copy of each object version, so replacing a file never changes a running load. */
  versions: string;
  /** The version log (append-only JSON lines). */
  versionLog: string;
  /** The in-process Glue's job runs, one JSON file each. */
  jobRuns: string;
  /** dynalite's LevelDB directory: the audit store. */
  auditDb: string;
}

export function workspacePaths(root: string): WorkspacePaths {
  const abs = resolve(root);
  const ops = join(abs, "ops");
  return {
    root: abs,
    landing: join(abs, "landing"),
    ops,
    versions: join(abs, "landing-versions"),
    versionLog: join(ops, "versions.jsonl"),
    jobRuns: join(ops, "job-runs"),
    auditDb: join(abs, "audit-db"),
  };
}
