// One local Glue (Spark server) for the whole mocha run: a JVM takes ~10 s to start on 2 cores,
// so every Spark suite shares it (its warehouse is one temp folder; suites keep apart by catalog
// database names). The root hook closes it when mocha ends.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeSharedSparkServers, sharedSparkServer, type SparkServer } from "../../engine/spark/server";

let root: string | undefined;

export function sparkForTests(): Promise<SparkServer> {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), "spark-tests-"));
  return sharedSparkServer({
    warehouse: path.join(root, "iceberg"),
    logFile: path.join(root, "spark.log"),
    shufflePartitions: 2,
  });
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeSharedSparkServers();
    if (root && !process.env.DATALAKE_KEEP_SPARK_LOGS) fs.rmSync(root, { recursive: true, force: true });
    else if (root) process.stderr.write(`Spark test warehouse and log kept in ${root}\n`);
  },
};
