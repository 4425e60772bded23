// What every SQL builder of a plan needs: the spec, the dialect, and the shared expressions
// (quoted names, typed value of a raw column, PII-hashed columns).
import type { DatasetSpec } from "../datasets/define";
import type { SqlDialect } from "./dialects";
import { nullIfEmpty, parseTyped } from "./typing";

export class SqlContext {
  constructor(
    readonly spec: DatasetSpec,
    readonly d: SqlDialect,
  ) {}

  id = (name: string): string => this.d.ident(name);
  typeOf = (name: string) => this.spec.columns.find((c) => c.name === name)!.type;
  /** Typed value of raw string column `name` of the relation in scope. */
  typed = (name: string, rawExpr = this.id(name)): string =>
    parseTyped(this.d, nullIfEmpty(this.d, rawExpr, this.spec.csv.nullValue), this.typeOf(name));
  list = (names: string[]): string => names.map(this.id).join(", ");

  hashedColumns(): Set<string> {
    return new Set(this.spec.pii.filter((p) => p.mode === "hash").map((p) => p.column));
  }
}
