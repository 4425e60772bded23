// A regex rule runs as RE2 on DuckDB and as a Java regex on Spark: a spec's pattern must keep to
// what both read alike (no lookaround, backreferences or possessive quantifiers, the escapes and
// \p{..} names they share, no literal `{`), so one pattern means the same on both engines and
// neither engine's load fails on it. The checks read the pattern as tokens, so the braces of
// \p{Lu} and \x{41} and the `+` of \++ are not taken for repetitions or quantifiers.

/** One token of a pattern: a whole escape (\d, \p{Lu}, \x{41}, \Q...\E), a whole {n,m} repetition, a class opener ([, [^, []), a POSIX [:name:] in a class, else one character. */
export interface RegexToken {
  at: number;
  text: string;
  inClass: boolean;
}

function tokenAt(p: string, i: number, inClass: boolean): string {
  if (p[i] === "\\") {
    if (p[i + 1] === "Q") {
      const end = p.indexOf("\\E", i + 2);
      return end < 0 ? p.slice(i) : p.slice(i, end + 2);
    }
    if (/[pPx]/.test(p[i + 1] ?? "") && p[i + 2] === "{") {
      const close = p.indexOf("}", i + 3);
      if (close >= 0) return p.slice(i, close + 1);
    }
    return p.slice(i, i + 2);
  }
  const rest = p.slice(i);
  if (inClass) return /^\[:[a-z]+:\]/.exec(rest)?.[0] ?? p[i];
  // A "]" first in a class (after an optional "^") is a literal, so it belongs to the opener.
  if (p[i] === "[") return /^\[\^?\]?/.exec(rest)![0];
  if (p[i] === "{") return /^\{\d+(,\d*)?\}/.exec(rest)?.[0] ?? "{";
  return p[i];
}

export function* regexTokens(pattern: string): Generator<RegexToken> {
  let inClass = false;
  for (let i = 0; i < pattern.length; ) {
    const text = tokenAt(pattern, i, inClass);
    yield { at: i, text, inClass };
    if (!inClass && text.startsWith("[")) inClass = true;
    else if (inClass && text === "]") inClass = false;
    i += text.length;
  }
}

const isQuantifier = (t: RegexToken): boolean => !t.inClass && (["*", "+", "?"].includes(t.text) || /^\{\d/.test(t.text));

/** Whether a group opens with (?= (?! (?<= or (?<! (lookaround). */
function hasLookaround(pattern: string): boolean {
  const tokens = [...regexTokens(pattern)];
  return tokens.some((t, k) => !t.inClass && t.text === "(" && tokens[k + 1]?.text === "?" && /^[=!<]$/.test(tokens[k + 2]?.text ?? ""));
}

/** Where a quantifier is made possessive by a `+` (a++, a?+, a{2}+), or undefined. */
function possessiveAt(pattern: string): number | undefined {
  let previous: RegexToken | undefined;
  for (const token of regexTokens(pattern)) {
    if (previous && isQuantifier(previous) && !token.inClass && token.text === "+") return token.at;
    previous = token;
  }
  return undefined;
}

/**
 * Where a `{` outside a character class starts no repetition, or undefined. RE2 and JavaScript
 * take such a brace as itself, Java refuses the pattern ("Illegal repetition"): a spec with
 * `^[a-z]{,8}$` loaded on DuckDB and failed on Spark.
 */
function literalBraceAt(pattern: string): number | undefined {
  for (const token of regexTokens(pattern)) if (!token.inClass && token.text === "{") return token.at;
  return undefined;
}

/** Each backslash escape of a pattern (position and escaped character), quoted \Q...\E text skipped. */
function* escapesOf(pattern: string): Generator<{ at: number; letter: string }> {
  for (const { at, text } of regexTokens(pattern)) {
    if (text.startsWith("\\") && !text.startsWith("\\Q")) yield { at, letter: text[1] ?? "" };
  }
}

/**
 * Letter escapes RE2 and Java both have, with one meaning. JavaScript (the syntax check) takes
 * any other letter as itself, but RE2 refuses `\Z`, `\h`, `\e`, `\G`, `\R`, `\u0041` (the DuckDB
 * load fails on `\Z`, which Java reads as "the end but for a final line break"), and `\v` is a
 * vertical tab in RE2 but any vertical whitespace in Java.
 */
const PORTABLE_ESCAPES = new Set("afntrxdDsSwWbBAzQEpP");

/** The first escape of a letter or digit outside PORTABLE_ESCAPES (quoted \Q...\E text skipped), or undefined. */
function unportableEscape(pattern: string): string | undefined {
  for (const { letter } of escapesOf(pattern)) if (/[A-Za-z0-9]/.test(letter) && !PORTABLE_ESCAPES.has(letter)) return `\\${letter}`;
  return undefined;
}

/**
 * Unicode general categories: the only \p{..} names RE2 and Java share. RE2 refuses Java's
 * \p{Alpha} and \p{IsGreek} (invalid character class range: the DuckDB load failed) and Java
 * refuses RE2's script names such as \p{Greek} (Unknown character property name: Spark's failed).
 */
const GENERAL_CATEGORY = /^(?:[LMNPSZC]|L[ultmo]|M[nce]|N[dlo]|P[cdseifo]|S[mcko]|Z[slp]|C[cfos])$/;

/** The first \p{..} or \P{..} (or \pX) whose name is no general category (quoted text skipped), or undefined. */
function unportableProperty(pattern: string): string | undefined {
  for (const { at, letter } of escapesOf(pattern)) {
    if (letter !== "p" && letter !== "P") continue;
    const m = /^\{([^}]*)\}|^(.?)/.exec(pattern.slice(at + 2))!;
    if (!GENERAL_CATEGORY.test(m[1] ?? m[2])) return `\\${letter}${m[0]}`;
  }
  return undefined;
}

/**
 * The pattern as JavaScript can check its syntax (groups closed, classes in order, something to
 * repeat): JavaScript has no \p{..} or \x{..} without its `u` flag, which refuses other escapes
 * both engines take (\z), and no \Q...\E, so each of those stands as the one atom it is.
 */
const forJavaScript = (pattern: string): string =>
  [...regexTokens(pattern)].map(({ text }) => (/^\\(Q|[pPx]\{)/.test(text) ? "\\d" : text)).join("");

/** Why `pattern` is no portable regex, as a message for its spec field, or undefined. */
export function regexPortabilityProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== "string" || pattern.length === 0) return "must be a non-empty string";
  const p = pattern;
  if (hasLookaround(p)) return "lookaround is not portable between DuckDB (RE2) and Spark (Java)";
  if ([...escapesOf(p)].some(({ letter }) => /[1-9]/.test(letter))) return "backreferences are not portable between DuckDB (RE2) and Spark (Java)";
  if (possessiveAt(p) !== undefined) return "possessive quantifiers are not portable between DuckDB (RE2) and Spark (Java)";
  try {
    new RegExp(forJavaScript(p));
  } catch (e) {
    return `is not a valid regex: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/: /s, "")}`;
  }
  const escape = unportableEscape(p);
  if (escape) return `${escape} is not portable between DuckDB (RE2) and Spark (Java); write what it stands for (a class, \\z, \\x{..})`;
  const property = unportableProperty(p);
  if (property) return `${property} is not portable between DuckDB (RE2) and Spark (Java): use a Unicode general category (\\p{L}, \\p{Lu}, \\p{Nd}, ...) or a bracket class ([[:alpha:]])`;
  const brace = literalBraceAt(p);
  if (brace !== undefined) return `the { at ${brace} starts no {n}, {n,} or {n,m} repetition: escape it (\\{); {,m} is {0,m}`;
  return undefined;
}
