// A range rule's bound compared with a decimal column, exactly and without widening the column.
// `amount < 0.00000000001` on a decimal(38,10) column made both engines cast the column to
// decimal(38,11): a value with 28 integer digits overflowed, which failed the whole DuckDB load
// and on Spark (NULL) let the row into silver with its range unchecked. A decimal(p,s) value is a
// multiple of 10^-s, so the bound is rounded to scale s in the direction that keeps the
// comparison's answer, and a bound beyond the column's range decides it alone.

export type Comparison = "<" | "<=" | ">" | ">=";

/** `column <op> bound` for a decimal(p,s) column: SQL, or the constant it always is. */
export function decimalBound(column: string, op: Comparison, bound: number, precision: number, scale: number): string {
  // c < L and c >= L turn on the smallest multiple of 10^-s at or above L; c <= L and c > L on the largest at or below it.
  const scaled = atScale(bound, scale, op === "<" || op === ">=" ? "up" : "down");
  const limit = 10n ** BigInt(precision) - 1n;
  if (scaled > limit) return op === "<" || op === "<=" ? "TRUE" : "FALSE";
  if (scaled < -limit) return op === ">" || op === ">=" ? "TRUE" : "FALSE";
  return `${column} ${op} ${scaledText(scaled, scale)}`;
}

/** The bound as written (its shortest decimal text, as the spec author meant it) times 10^scale, rounded. */
function atScale(bound: number, scale: number, direction: "up" | "down"): bigint {
  const [, sign, whole, fraction = "", exponent = "0"] = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(bound))!;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const shift = Number(exponent) - fraction.length + scale;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const quotient = digits / divisor; // truncates toward zero
  if (quotient * divisor === digits) return quotient;
  if (direction === "up") return digits > 0n ? quotient + 1n : quotient;
  return digits < 0n ? quotient - 1n : quotient;
}

function scaledText(scaled: bigint, scale: number): string {
  const sign = scaled < 0n ? "-" : "";
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(scale + 1, "0");
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
