// The precision and scale of a `decimal(p,s)` column type: one parser for the spec validator, the
// expression checker, the dialects' type names and the range rules.

/** Precision and scale of a `decimal(p,s)` type name; undefined for any other type. */
export function decimalOf(type: string): { precision: number; scale: number } | undefined {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** The most digits a decimal holds on both engines (DuckDB and Spark: DECIMAL(38, s)). */
export const MAX_DECIMAL_DIGITS = 38;
