// The oracle's regex: a spec's rule pattern (RE2 syntax, kept portable by
// datasets/regex-portability.ts) as a JavaScript RegExp that matches the same texts as DuckDB's
// RE2 and the Glue runner's Java (engine/dialects.ts javaRegex). `new RegExp(pattern)` read \p{L}
// as the text "p{L}" and \x{41} as "x" 41 times, its `.` stopped at \r and its \s held Unicode
// spaces: the expected quarantine of a generated scenario was wrong for such a rule.
import { regexTokens, type RegexToken } from "../../datasets/regex-portability";
import { RE2_SPACE } from "../../engine/dialects";

// RE2's POSIX classes are ASCII: their members, for use inside a JavaScript character class.
const POSIX_MEMBERS: Record<string, string> = {
  alnum: "0-9A-Za-z", alpha: "A-Za-z", ascii: "\\x00-\\x7F", blank: "\\t ", cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9", graph: "!-~", lower: "a-z", print: " -~", punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ", upper: "A-Z", word: "0-9A-Za-z_", xdigit: "0-9A-Fa-f",
};

const literal = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** `pattern` (RE2) as a JavaScript RegExp with the same matches; throws for what it cannot translate. */
export function jsRegex(pattern: string): RegExp {
  const tokens = [...regexTokens(pattern)];
  const unsupported = (what: string) => new Error(`oracle: the regex ${JSON.stringify(pattern)} uses ${what}, which it cannot evaluate in JavaScript`);
  let out = "";
  for (let k = 0; k < tokens.length; k++) {
    const { text, inClass, at } = tokens[k];
    const next = (n: number): string => tokens[k + n]?.text ?? "";
    // Flag and named groups fail the spec's own syntax check (regex-portability.ts): only (?: is left.
    if (!inClass && text === "(" && next(1) === "?") {
      if (next(2) !== ":") throw unsupported("a group other than (?:");
      out += "(?:";
      k += 2;
    } else if (/^\\[pP]$/.test(text)) {
      out += `${text}{${next(1)}}`; // \pL is \p{L}
      k++;
    } else if (inClass && text === "[" && pattern.startsWith("[:^", at)) {
      throw unsupported("a negated POSIX class");
    } else {
      out += translate(tokens[k], unsupported);
    }
  }
  return new RegExp(out, "u");
}

function translate({ text, inClass }: RegexToken, unsupported: (what: string) => Error): string {
  if (text.startsWith("\\Q")) return [...text.slice(2).replace(/\\E$/, "")].map(literal).join("");
  if (/^\\[pP]\{/.test(text)) return text;
  if (text.startsWith("\\x{")) return `\\u${text.slice(2)}`;
  if (/^\[:[a-z]+:\]$/.test(text)) return POSIX_MEMBERS[text.slice(2, -2)] ?? text;
  if (text.startsWith("\\")) {
    const letter = text[1] ?? "";
    switch (letter) {
      case "a": return "\\x07";
      case "A": return "^";
      case "z": return "$";
      case "s": return inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      case "S":
        if (inClass) throw unsupported("\\S in a character class");
        return `[^${RE2_SPACE}]`;
    }
    // \d \D \w \W \b \B \f \n \r \t \xHH mean the same (ASCII) in both; RE2 escapes any
    // punctuation, JavaScript's u flag only its syntax characters.
    return /[A-Za-z0-9]/.test(letter) ? text : literal(letter);
  }
  if (inClass) return text;
  // A ] first in a class is itself in RE2 ([]a], [^]a]); JavaScript reads [] as an empty class.
  if (text.startsWith("[") && text.endsWith("]")) return text.slice(0, -1) + literal("]");
  if (text === ".") return "[^\\n]"; // RE2's . stops only at \n
  // A lone } or ] is itself in RE2; JavaScript's u flag refuses it.
  return text === "}" || text === "]" ? literal(text) : text;
}
