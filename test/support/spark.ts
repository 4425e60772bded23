// One local Glue (Spark server) for the whole mocha run: a JVM takes ~10 s to start on 2 cores,
// so every Spark suite shares it (its warehouse is one temp folder; suites keep apart by catalog
// database names). The root hook closes it when mocha ends.
// The server starts with its boto3 pointed at the run's moto server (test/support/moto.ts), so a
// suite may run jobs whose manifest, plan, landing objects and summary go through the S3 API
// (no `buckets`); suites that pass `buckets` and `metrics` never touch it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeSharedSparkServers, sharedSparkServer, type SparkServer } from "../../engine/spark/server";
import { closeMotoForTests, motoForTests } from "./moto";

let root: string | undefined;

export async function sparkForTests(): Promise<SparkServer> {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), "spark-tests-"));
  const moto = await motoForTests();
  return sharedSparkServer({
    warehouse: path.join(root, "iceberg"),
    logFile: path.join(root, "spark.log"),
    shufflePartitions: 2,
    env: moto.env,
  });
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeSharedSparkServers();
    await closeMotoForTests();
    if (root && !process.env.DATALAKE_KEEP_SPARK_LOGS) fs.rmSync(root, { recursive: true, force: true });
    else if (root) process.stderr.write(`Spark test warehouse and log kept in ${root}\n`);
  },
};
