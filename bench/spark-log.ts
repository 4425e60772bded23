// The Glue runner logs every statement with its duration (`sql (N ms): ...`, `rows`, `query`,
// `materialized`; model_executor.py, executor.py) in the Spark server's log, one JSON line each
// with the run id: where a Spark figure's time went, printed under it.
import { readFileSync } from "fs";
import { sec } from "./engine-measure";

/** The `n` slowest statements of one run (a load or a model build), slowest first. */
export function slowestStatements(logFile: string, runId: string, n = 6): string[] {
  const lines = readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes(`"runId": "${runId}"`));
  const timed = lines
    // The message's text only (a JSON string: up to its first unescaped quote), cut to 90 characters.
    .map((l) => /"message": "(?:sql|query|rows|materialized) \((\d+) ms\): ((?:[^"\\]|\\.){0,90})/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ ms: Number(m[1]), what: m[2].replace(/\\"/g, '"') }));
  return timed.sort((a, b) => b.ms - a.ms).slice(0, n).map((t) => `${sec(t.ms).padStart(9)}  ${t.what}`);
}
