// Structured JSON logs, one object per line (CloudWatch Logs Insights / local tail friendly).
// Child loggers bind dataset, key, version and run id so every line carries them.
import type { LogFields, Logger } from "./ports";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export function jsonLogger(
  bound: LogFields = {},
  level: LogLevel = "info",
  write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): Logger {
  const emit = (lvl: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    write(JSON.stringify({ level: lvl, time: new Date().toISOString(), message, ...bound, ...fields }, errorReplacer));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => jsonLogger({ ...bound, ...fields }, level, write),
  };
}

/** Logs nothing: benchmarks and tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? "info").toLowerCase();
  return v in LEVELS ? (v as LogLevel) : "info";
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
