// Where the local Glue runtime lives (installed by scripts/setup-glue-runtime.js from
// glue-scripts/datalake_glue/runtime.json, the one place its versions are pinned): the project
// venv's Python with pyspark, and the Iceberg Spark runtime jar.
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { REPO_ROOT } from "../repo-root";

export interface GlueRuntime {
  glueVersion: string;
  sparkVersion: string;
  scalaVersion: string;
  icebergVersion: string;
  pythonVersion: string;
  javaVersion: string;
}

export { REPO_ROOT };
export const GLUE_SCRIPTS = join(REPO_ROOT, "glue-scripts");
export const RUNTIME_FILE = join(GLUE_SCRIPTS, "datalake_glue", "runtime.json");
export const SETUP_COMMAND = "node scripts/setup-glue-runtime.js";

export const GLUE_RUNTIME: GlueRuntime = JSON.parse(readFileSync(RUNTIME_FILE, "utf8")) as GlueRuntime;

export function venvPython(): string {
  return join(REPO_ROOT, ".venv", "bin", "python");
}

/** The jars local Spark loads: the Iceberg Spark runtime at the Glue runtime's version. */
export function localJars(runtime: GlueRuntime = GLUE_RUNTIME): string[] {
  const sparkMinor = runtime.sparkVersion.split(".").slice(0, 2).join(".");
  const artifact = `iceberg-spark-runtime-${sparkMinor}_${runtime.scalaVersion}`;
  return [join(REPO_ROOT, ".jars", `${artifact}-${runtime.icebergVersion}.jar`)];
}

/** Throws one clear line when the runtime is not installed. */
export function requireGlueRuntime(): void {
  const missing = [venvPython(), ...localJars()].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `the Spark engine needs the Glue ${GLUE_RUNTIME.glueVersion} runtime (Spark ${GLUE_RUNTIME.sparkVersion}, ` +
        `Iceberg ${GLUE_RUNTIME.icebergVersion}): run \`${SETUP_COMMAND}\` (missing ${missing.join(", ")})`,
    );
  }
}
