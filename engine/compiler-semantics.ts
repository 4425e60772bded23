// What a load plan's fingerprint covers (compile.ts planFingerprint): the spec's fields that
// decide rows, the tables' columns, and COMPILER_SEMANTICS, not the text of the compiled SQL.
//
// Why not the SQL: the fingerprint decides that a dataset's next load is a full refresh and that
// models refuse to build until that load ran (models/source-specs.ts). Hashing the SQL text made
// every compiler change do both, a rewrite that computes the same rows as much as a new typing
// rule: after an upgrade, each model waited for a load of every dataset it reads, however rarely
// files arrive there. So the compiler says when its results change: COMPILER_SEMANTICS.
// test/engine/compiled-sql.lock.json holds the hash of the compiled SQL with the version it was
// written for, and test/engine/compiler-semantics.test.ts fails on any change to the SQL until
// its author decides: bump the version, or only write the new hash.
import type { DatasetSpec } from "../datasets/define";

/**
 * The version of what compiled load and history SQL computes from the same spec and files. Bump it
 * with a compiler change after which the same files can give other state, silver or quarantine
 * rows, labels or order (a new state column changes the tables, and the fingerprint, anyway).
 * A change that computes the same rows faster keeps it.
 */
export const COMPILER_SEMANTICS = 1;

/**
 * The spec without the fields that decide no row: where its files land (prefix, suffix), its
 * description, the file that declared it, the Glue job's sizing. A spec is normalized (defaults
 * applied), so an omitted field and its default are the same spec.
 */
export function decisiveSpec(spec: DatasetSpec): object {
  const { description: _description, sourceFile: _sourceFile, prefix: _prefix, suffix: _suffix, target, ...rest } = spec;
  return { ...rest, target: { table: target.table } };
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
