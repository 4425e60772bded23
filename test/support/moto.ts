// moto in server mode: S3 and CloudWatch over HTTP on 127.0.0.1, for the tests that run the Glue
// runner against the real S3 API (boto3 in the local Spark server) and the handlers' AWS adapters
// (SDK v3 clients). One server per mocha run, started by test/support/spark.ts before the shared
// Spark server, because the server's environment (AWS_ENDPOINT_URL) is fixed when it starts.
//
// moto runs in a Python child whose stdin is a pipe from this process: it exits on EOF, so a
// test process that dies (even SIGKILL) leaves no server behind. It listens on port 0 and reports
// the port it got, so there is no free-port race.
import { spawn, type ChildProcess } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { get } from "http";
import { tmpdir } from "os";
import { join } from "path";
import { createInterface } from "readline";
import type { Readable, Writable } from "stream";
import { S3Client } from "@aws-sdk/client-s3";
import { requireGlueRuntime, venvPython } from "../../engine/spark/runtime";

export const MOTO_REGION = "us-east-1";
export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

const SERVE = `
import json, sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(json.dumps({"port": server.get_host_and_port()[1]}), flush=True)
sys.stdin.read()
server.stop()
`;

const START_TIMEOUT_MS = 60_000;

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /**
   * Environment for a boto3 process (the Spark server and its Python workers): every service
   * goes to moto, with dummy credentials and a config file of its own, so a developer's
   * ~/.aws/config or AWS_PROFILE cannot send a test run to a real account.
   */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startMoto(): Promise<MotoServer> {
  requireGlueRuntime();
  const child = spawn(venvPython(), ["-c", SERVE], { stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr as Readable }).on("line", (line) => {
    stderr.push(line);
    if (stderr.length > 20) stderr.shift();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.once("error", (e) => reject(e));
    child.once("exit", (code) => reject(new Error(`moto exited with ${code}: ${stderr.join("\n")}`)));
    createInterface({ input: child.stdout as Readable }).once("line", (line) => {
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(endpoint);
  child.unref();
  for (const s of [child.stdout, child.stderr, child.stdin]) (s as unknown as { unref?(): void }).unref?.();
  const configDir = mkdtempSync(join(tmpdir(), "moto-aws-config-"));
  const config = join(configDir, "config");
  // Path-style is what botocore already does for any custom endpoint_url (AWS_ENDPOINT_URL
  // included: botocore/args.py sets ForcePathStyle unless addressing_style = virtual); the
  // setting makes it explicit, whatever the botocore version.
  writeFileSync(config, `[default]\nregion = ${MOTO_REGION}\ns3 =\n  addressing_style = path\n`);
  writeFileSync(join(configDir, "credentials"), "");
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_REGION: MOTO_REGION,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(configDir, "credentials"),
    AWS_PROFILE: "default",
  };
  return {
    endpoint,
    env,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        (child.stdin as Writable).end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** An S3 client of the SDK v3 on moto (path-style: no bucket subdomains on 127.0.0.1). */
export function motoS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: MOTO_REGION, forcePathStyle: true, credentials: { ...MOTO_CREDENTIALS } });
}

let shared: Promise<MotoServer> | undefined;

/** The mocha run's moto server (started once; closed by the root hook in test/support/spark.ts). */
export function motoForTests(): Promise<MotoServer> {
  shared ??= startMoto();
  return shared;
}

export async function closeMotoForTests(): Promise<void> {
  const server = shared;
  shared = undefined;
  if (server) await (await server.catch(() => undefined))?.close();
}

async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const status = await new Promise<number | undefined>((resolve) => {
      const req = get(`${endpoint}/moto-api/`, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", () => resolve(undefined));
      req.setTimeout(2_000, () => req.destroy());
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`moto at ${endpoint} does not answer`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
