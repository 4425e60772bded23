// Incremental facts (plan.ts header, docs/models.md "Incremental builds"): a build recomputes only
// the grain rows a batch can have changed and keeps the previous version's other rows. A fact row
// is a function of its source's silver row, the lookup rows it joins and the dimension versions
// its keys resolve to, so the touched rows are those
//   - whose source key has a bronze row from a run the previous version had not consumed (an
//     insert, update or delete of the row itself: a deleted or quarantined row is dropped and,
//     absent from silver, not recomputed),
//   - whose lookup key has such a bronze row in the lookup's dataset (re-keyed through the lookup),
//   - whose dimension version at the row's as-of time differs between the dimension version the
//     previous build read (`before_<dim>`, zone semantic_before) and the one this build reads
//     (`after_<dim>`, zone semantic_after: only these two are compared, so an executor may narrow
//     both to the natural keys changed in between, plan.ts header): a late
//     change that split a window, a delete, a new version, an inferred member completed
//     (re-keyed). Only the times whose covering version changed: a new version closes the old
//     window at its time, so only the rows at or after it are re-keyed, not the key's whole past.
// Relations:
//   fact_new_<dataset>   typed keys of new bronze rows of the source and of each lookup dataset
//   fact_diff_<dim>      windows (row of one side only) that differ between before_<dim> and <dim>
//   fact_changed_<dim>   (natural key, from, to): the time spans whose covering version differs
//   <fact>__touched      the touched rows' base rows (silver + lookups)
//   <fact>__recomputed   them, keyed: what the build recomputed
//   <fact>__build        previous rows not touched + <fact>__recomputed
// With `consumed` empty (a full rebuild: `previous` is empty too) every row is recomputed, no key
// set is computed and nothing is kept (NOTHING_CONSUMED), so it costs what a plain build does.
import { bronzeKeyExprs } from "../compile";
import type { SqlDialect } from "../dialects";
import type { Dialect } from "../plan";
import { tableAlias, type ResolvedFact } from "./fact-context";
import { asOfTime, factBaseSelect, ref, VALID_FROM, VALID_TO } from "./fact-sql";
import { newRunsOf, newRunsStep, NOTHING_CONSUMED, RUN_INPUTS } from "./incremental";
import { PREVIOUS_RELATION, type ModelDelta, type ModelInput, type ModelStep } from "./plan";

export const bronzeRelation = (dataset: string): string => `bronze_${dataset}`;
export const beforeRelation = (dimension: string): string => `before_${dimension}`;
export const afterRelation = (dimension: string): string => `after_${dimension}`;
const newKeys = (dataset: string): string => `fact_new_${dataset}`;
const differingWindows = (dimension: string): string => `fact_diff_${dimension}`;
const changedSpans = (dimension: string): string => `fact_changed_${dimension}`;
const keyCol = (i: number): string => `_k_${i + 1}`;

/**
 * A `unique` rule moves rows of other keys in or out of silver without a change of their own
 * (the conflict is about the current state), so no new bronze row points at them: such facts are
 * rebuilt whole.
 */
export function isIncrementalFact(r: ResolvedFact): boolean {
  return ![r.source, ...r.lookups.values()].some((ds) => ds.rules.some((rule) => rule.kind === "unique"));
}

export function incrementalFactInputs(r: ResolvedFact): ModelInput[] {
  const datasets = [...new Set([r.source.name, ...[...r.lookups.values()].map((l) => l.name)])];
  return [
    ...datasets.map((dataset): ModelInput => ({ relation: bronzeRelation(dataset), zone: "bronze", dataset })),
    ...[...r.dimensions.keys()].flatMap((model): ModelInput[] => [
      { relation: beforeRelation(model), zone: "semantic_before", model },
      { relation: afterRelation(model), zone: "semantic_after", model },
    ]),
    { relation: PREVIOUS_RELATION, zone: "semantic", model: r.spec.name },
    ...RUN_INPUTS,
  ];
}

/** The steps after `<fact>__rows`; `keyed(rows)` is the fact's keyed select over base rows `rows`. */
export function incrementalFactSteps(
  r: ResolvedFact,
  d: SqlDialect,
  dialect: Dialect,
  columns: readonly string[],
  keyed: (rows: string) => string,
): { steps: ModelStep[]; output: string; recomputed: string; delta: ModelDelta } {
  const { spec } = r;
  const step = (name: string, materialize: ModelStep["materialize"], description: string, sql: string): ModelStep => ({ name, sql, materialize, description });
  const datasets = [...new Map([r.source, ...r.lookups.values()].map((ds) => [ds.name, ds])).values()];
  const newSteps = datasets.map((ds) => {
    const keys = bronzeKeyExprs(ds, dialect).map((k, i) => `${k} AS ${keyCol(i)}`);
    const sql = `SELECT DISTINCT ${keys.join(", ")} FROM ${bronzeRelation(ds.name)} WHERE NOT ${NOTHING_CONSUMED} AND ${newRunsOf(bronzeRelation(ds.name))}`;
    return [newRunsStep(bronzeRelation(ds.name), d), step(newKeys(ds.name), "table", `keys of ${ds.name} rows from runs the previous version had not consumed`, sql)];
  });
  const changedSteps = [...r.dimensions.values()].flatMap((dim) => {
    const nk = d.ident(dim.naturalKey);
    // A fact row holds only the surrogate key of the version whose window holds its time, so
    // only windows count: a type-1 attribute overwritten in place re-keys nothing.
    // A row of either version without its twin in the other is a changed window: one full outer
    // join reads each version once (two EXCEPTs read each twice). A full rebuild recomputes every
    // row and reads the current version as both: its sides are empty, not joined (on Spark the
    // join of a 500,000-row dimension with itself cost a full fact rebuild ~1 s for nothing).
    const windows = [dim.surrogateKey, dim.naturalKey, VALID_FROM, VALID_TO].map((c) => d.ident(c));
    const side = (relation: string) => `(SELECT ${windows.join(", ")} FROM ${relation} WHERE NOT ${NOTHING_CONSUMED})`;
    const either = (c: string) => `COALESCE(a.${c}, b.${c})`;
    const diffSql =
      `SELECT ${either(nk)} AS _nk, CASE WHEN a.${windows[0]} IS NULL THEN 'b' ELSE 'a' END AS _side, ${either(windows[0])} AS _sk, ` +
      `${either(windows[2])} AS _from, ${either(windows[3])} AS _to FROM ${side(afterRelation(dim.name))} a FULL OUTER JOIN ${side(beforeRelation(dim.name))} b ` +
      `ON ${windows.map((c) => `a.${c} IS NOT DISTINCT FROM b.${c}`).join(" AND ")} ` +
      `WHERE (a.${windows[0]} IS NULL OR b.${windows[0]} IS NULL) AND ${either(nk)} IS NOT NULL`;
    // Where the covering version differs: windows of one side never overlap (the windows audit)
    // and a window both sides hold covers its times alike on both, so only the differing windows
    // matter. Their bounds cut each key's time line into spans, each inside or outside every
    // window; a span is changed when its covering row (or none) differs by surrogate key between
    // the sides. A new version V2 at T closes V1 at T: V1 [a, inf) and V1 [a, T) cover [a, T) with
    // the same key, so only [T, inf) is changed. The spans of a key are disjoint: a fact row
    // matches at most one.
    const covering = (alias: string, which: string) =>
      `LEFT JOIN ${differingWindows(dim.name)} ${alias} ON ${alias}._side = '${which}' AND ${alias}._nk = s._nk AND ${alias}._from <= s._from AND s._from < ${alias}._to`;
    const changedSql =
      `SELECT DISTINCT s._nk, s._from, s._to FROM (SELECT _nk, _p AS _from, LEAD(_p) OVER (PARTITION BY _nk ORDER BY _p) AS _to ` +
      `FROM (SELECT DISTINCT _nk, _p FROM (SELECT _nk, _from AS _p FROM ${differingWindows(dim.name)} UNION ALL SELECT _nk, _to FROM ${differingWindows(dim.name)}) p) q) s ` +
      `${covering("ca", "a")} ${covering("cb", "b")} WHERE s._to IS NOT NULL AND ca._sk IS DISTINCT FROM cb._sk`;
    return [
      step(differingWindows(dim.name), "table", `windows of ${dim.name} that differ from those the previous version's build read`, diffSql),
      step(changedSpans(dim.name), "table", `time spans of natural keys whose ${dim.name} version changed since the previous version's build`, changedSql),
    ];
  });

  const pk = r.source.primaryKey;
  const hits: Array<{ join: string; hit: string }> = [
    { join: `LEFT JOIN ${newKeys(r.source.name)} AS t_src ON ${pk.map((k, i) => `t_src.${keyCol(i)} = ${tableAlias(null)}.${d.ident(k)}`).join(" AND ")}`, hit: `t_src.${keyCol(0)}` },
    ...spec.lookups.map((l, j) => ({
      join: `LEFT JOIN ${newKeys(l.dataset)} AS t_lk_${j} ON t_lk_${j}.${keyCol(0)} = ${ref(d, l.on)}`,
      hit: `t_lk_${j}.${keyCol(0)}`,
    })),
    ...spec.dimensions.map((role, i) => {
      const t = asOfTime(r, d, i);
      return {
        join: `LEFT JOIN ${changedSpans(role.dimension)} AS t_dim_${i} ON t_dim_${i}._nk = ${ref(d, role.naturalKey)} AND t_dim_${i}._from <= ${t} AND ${t} < t_dim_${i}._to`,
        hit: `t_dim_${i}._nk`,
      };
    }),
  ];
  const touched = step(
    `${spec.name}__touched`,
    "view",
    "base rows of the touched grain rows: new source or lookup changes, changed dimension rows",
    factBaseSelect(r, d, { joins: hits.map((h) => h.join), where: [NOTHING_CONSUMED, ...hits.map((h) => `${h.hit} IS NOT NULL`)].join(" OR ") }),
  );
  const recomputed = step(`${spec.name}__recomputed`, "table", "the touched grain rows, keyed", keyed(touched.name));

  const cols = columns.map((c) => d.ident(c));
  // The keys whose previous rows go: the source keys with a new row (a deleted or quarantined row
  // is in no recomputed row) and the recomputed ones. `kept` and the plan's delta both read it.
  const replaced =
    `SELECT ${pk.map((k, i) => `${keyCol(i)} AS ${d.ident(k)}`).join(", ")} FROM ${newKeys(r.source.name)} ` +
    `UNION SELECT ${pk.map((k) => d.ident(k)).join(", ")} FROM ${recomputed.name}`;
  const kept =
    `SELECT ${cols.map((c) => `p.${c}`).join(", ")} FROM ${PREVIOUS_RELATION} p ` +
    `LEFT JOIN (${replaced}) x ON ${pk.map((k) => `x.${d.ident(k)} = p.${d.ident(k)}`).join(" AND ")} ` +
    `WHERE NOT ${NOTHING_CONSUMED} AND x.${d.ident(pk[0])} IS NULL`;
  const written = `SELECT ${cols.join(", ")} FROM ${recomputed.name}`;
  const build = step(`${spec.name}__build`, "view", "the previous version's untouched rows and the recomputed ones", `${kept} UNION ALL ${written}`);
  return {
    steps: [...newSteps.flat(), ...changedSteps, touched, recomputed, build],
    output: build.name,
    recomputed: recomputed.name,
    delta: { rows: written, keys: replaced, keyColumns: [...pk] },
  };
}
