// The `datalake` CLI: a table of verbs, one file per verb under local/commands/.
// bin/datalake.js calls main(process.argv.slice(2)) and exits with the returned code.
// Exit codes: 0 ok, 1 the operation failed (bad SQL, failed run, missing file), 2 usage mistake.
import { join } from "path";
import { unregisteredDatasetFiles } from "../datasets";
import { unregisteredModelFiles } from "../models/registry";
import { REPO_ROOT } from "../engine/repo-root";
import { version } from "../package.json";
import { UsageError } from "./cli-args";
import { CliIo, processIo } from "./cli-io";
import { firstLine } from "./cli-text";
import { CliError, Verb } from "./cli-verb";
import { generateVerb } from "./commands/generate";
import { loadVerb } from "./commands/load";
import { queryVerb } from "./commands/query";
import { rollbackVerb } from "./commands/rollback";
import { localVerb } from "./commands/local";
import { demoVerb } from "./commands/demo";
import { auditVerb } from "./commands/audit";
import { redriveVerb } from "./commands/redrive";
import { buildVerb } from "./commands/build";

/** Add a verb: a file under local/commands/ exporting a Verb, plus one line here. */
export const VERBS: readonly Verb[] = [loadVerb, queryVerb, buildVerb, rollbackVerb, generateVerb, localVerb, demoVerb, auditVerb, redriveVerb];

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  for (const file of unregisteredDatasetFiles(join(REPO_ROOT, "datasets"))) {
    io.err(`datalake: warning: datasets/${file} declares a dataset but datasets/index.ts does not register it (add it to DATASETS)`);
  }
  // An error, not a warning: a model without its registry line is never built, and the facts
  // that name it would be checked against a star that lacks it.
  const strayModels = unregisteredModelFiles(join(REPO_ROOT, "models"));
  for (const file of strayModels) {
    io.err(`datalake: models/${file} declares a model but models/index.ts does not register it (add it to MODELS)`);
  }
  if (strayModels.length > 0) return 1;
  if (name === "--version" || name === "-V") {
    io.out(version);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    io.err(`datalake: unknown command "${name}" (known: ${VERBS.map((v) => v.name).join(", ")})`);
    return 2;
  }
  try {
    return await verb.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`datalake ${err.message}`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`datalake ${verb.name}: ${err.message}`);
      return err.exitCode;
    }
    // Unexpected failures still end as one line; the stack is available with DATALAKE_DEBUG=1.
    const message = err instanceof Error ? err.message : String(err);
    io.err(`datalake ${verb.name}: ${firstLine(message)}`);
    if (process.env.DATALAKE_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

function topLevelHelp(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length)) + 2;
  return [
    "usage: datalake <command> [flags]",
    "",
    "commands:",
    ...VERBS.map((v) => `  ${v.name.padEnd(width)} ${v.summary}`),
    "",
    "Run `datalake <command> --help` for its flags; `datalake --version` prints the version.",
  ].join("\n");
}
