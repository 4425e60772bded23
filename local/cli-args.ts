// Argument parsing shared by every verb: declared flags only, one-line errors, `--help`.
// Hand-rolled rather than util.parseArgs so every message names the verb and reads the same.

/** A usage mistake: main() prints it as one line and exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface FlagDef {
  type: "string" | "boolean";
  /** One-line description for `--help`. */
  help: string;
  /** Placeholder for the value in `--help`, e.g. "DIR". */
  value?: string;
}

export interface ArgSpec {
  flags: Record<string, FlagDef>;
  /** Positional arguments: name for `--help` and the accepted count. */
  positionals?: { name: string; min: number; max: number };
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/** Flags every verb that touches a workspace accepts. */
export const WORKSPACE_FLAG: Record<string, FlagDef> = {
  workspace: { type: "string", value: "DIR", help: "workspace directory (default ./.datalake)" },
};
export const JSON_FLAG: Record<string, FlagDef> = {
  json: { type: "boolean", help: "print one JSON array instead of a table" },
};

export function parseArgs(verb: string, argv: string[], spec: ArgSpec): ParsedArgs {
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    // A flag is --name or --name=value; anything else starting with "--" is an argument (a SQL
    // query opening with a "-- comment" line).
    if (/^--[A-Za-z0-9][\w-]*(=|$)/.test(arg)) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const def = spec.flags[name];
      if (!def) throw new UsageError(`${verb}: unknown flag --${name} (see datalake ${verb} --help)`);
      if (def.type === "boolean") {
        if (eq >= 0) throw new UsageError(`${verb}: --${name} takes no value`);
        flags[name] = true;
        continue;
      }
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined || value === "") {
        throw new UsageError(`${verb}: --${name} needs a value${def.value ? ` (${def.value})` : ""}`);
      }
      // Two values for one flag: which one was meant is a guess (the last, silently, before).
      const earlier = flags[name];
      if (typeof earlier === "string" && earlier !== value) throw new UsageError(`${verb}: --${name} given twice ("${earlier}" and "${value}")`);
      flags[name] = value;
      continue;
    }
    // A short flag (-x, -d orders): none exists. Taken as an argument, it was a file not found or
    // pushed the real argument out ("unexpected argument" naming the SQL). "-" alone (stdin), a
    // negative number and a "-- comment" query stay arguments; `--` ends the flags for a file named -x.
    if (/^-[A-Za-z]/.test(arg)) {
      const long = Object.keys(spec.flags).find((name) => name.startsWith(arg.slice(1, 2).toLowerCase()));
      throw new UsageError(`${verb}: unknown flag ${arg}: flags are long${long ? ` (--${long}?)` : ""} (see datalake ${verb} --help)`);
    }
    positionals.push(arg);
  }
  if (!help) {
    const p = spec.positionals ?? { name: "", min: 0, max: 0 };
    if (positionals.length < p.min) throw new UsageError(`${verb}: missing ${p.name} (see datalake ${verb} --help)`);
    if (positionals.length > p.max) {
      throw new UsageError(`${verb}: unexpected argument "${positionals[p.max]}" (see datalake ${verb} --help)`);
    }
  }
  return { flags, positionals, help };
}

/** A string flag that must be present. */
export function requireFlag(verb: string, args: ParsedArgs, name: string): string {
  const value = args.flags[name];
  if (typeof value !== "string") throw new UsageError(`${verb}: --${name} is required`);
  return value;
}

/** A string flag that must be a non-negative integer, within `range` when given. */
export function intFlag(verb: string, args: ParsedArgs, name: string, fallback?: number, range?: { min: number; max: number }): number {
  const raw = args.flags[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== "string") throw new UsageError(`${verb}: --${name} is required`);
  if (!/^\d+$/.test(raw)) throw new UsageError(`${verb}: --${name} must be a non-negative integer, got "${raw}"`);
  const value = Number(raw);
  if (range && (value < range.min || value > range.max)) {
    throw new UsageError(`${verb}: --${name} must be ${range.min.toLocaleString("en-US")} to ${range.max.toLocaleString("en-US")}, got ${raw}`);
  }
  return value;
}

/**
 * Rows one generator run can hold: it keeps a typed array per column of every row, and past
 * this a run fails deep inside with "Invalid typed array length" (about 5 GB of CSV per dataset).
 */
export const MAX_GENERATED_ROWS = 100_000_000;

/** `--help` text built from the same spec the parser uses, so the two never drift. */
export function usageText(verb: string, summary: string, spec: ArgSpec): string {
  const pos = spec.positionals ? ` ${spec.positionals.name}` : "";
  const lines = [`usage: datalake ${verb} [flags]${pos}`, "", summary, "", "flags:"];
  for (const [name, def] of Object.entries(spec.flags)) {
    const left = `  --${name}${def.type === "string" ? ` ${def.value ?? "VALUE"}` : ""}`;
    lines.push(`${left.padEnd(26)} ${def.help}`);
  }
  lines.push(`${"  --help".padEnd(26)} show this help`);
  return lines.join("\n");
}
