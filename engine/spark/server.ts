// A local Glue: glue-scripts/local_glue.py serving job runs on one Spark session (a JVM starts in
// ~10 s on 2 cores, so it starts once and serves every run). Requests are JSON lines on its
// stdin; replies come back on fd 3, so nothing Spark or the JVM prints can corrupt them. The
// server holds no reference on the event loop while idle: a process that forgets to close it
// still exits, and the server exits when its stdin closes.
import { spawn, type ChildProcess } from "child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "fs";
import { dirname, join, resolve } from "path";
import { createInterface } from "readline";
import type { Readable, Writable } from "stream";
import type { RunSummary } from "../contracts";
import type { ModelBuildResult } from "../duckdb/build-model";
import { GLUE_SCRIPTS, localJars, requireGlueRuntime, venvPython } from "./runtime";

export interface SparkServerOptions {
  /** Iceberg warehouse folder of the local catalog (created). */
  warehouse: string;
  /** @default "local[2]" */
  master?: string;
  /** @default "2g" */
  driverMemory?: string;
  /** @default 4 */
  shufflePartitions?: number;
  /** Spark's and the runner's logs are appended here. @default <warehouse>/../spark.log */
  logFile?: string;
  /** Extra environment, e.g. AWS_ENDPOINT_URL of an S3 emulator. */
  env?: Record<string, string>;
  /** Extra Spark settings (tests tune Spark for tiny data). */
  conf?: Record<string, string>;
}

export interface RunRequest {
  /** Job arguments as Glue passes them: ["--dataset", "orders", ...]. */
  args: string[];
  /** Buckets served from folders (local mode's ops bucket); omitted: S3 through boto3. */
  buckets?: Record<string, string>;
  /** CloudWatch metrics as JSON lines in this file; omitted: CloudWatch through boto3. */
  metrics?: string;
}

export interface ServerInfo {
  spark: string;
  glueVersion: string;
  iceberg: string;
  warehouse: string;
}

interface Reply {
  id?: string;
  ready?: boolean;
  summary?: RunSummary;
  rows?: Record<string, unknown>[];
  error?: string;
}

const START_TIMEOUT_MS = 300_000;
const LOG_TAIL_LINES = 40;

export class SparkServer {
  private readonly pending = new Map<string, { resolve(r: Reply): void; reject(e: Error): void }>();
  private readonly tail: string[] = [];
  private nextId = 1;
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
    readonly info: ServerInfo,
    readonly warehouse: string,
  ) {}

  static async start(options: SparkServerOptions): Promise<SparkServer> {
    requireGlueRuntime();
    const warehouse = resolve(options.warehouse);
    const logFile = options.logFile ?? join(dirname(warehouse), "spark.log");
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: "a" });
    const args = [
      join(GLUE_SCRIPTS, "local_glue.py"),
      "--warehouse", warehouse,
      "--jars", localJars().join(","),
      "--master", options.master ?? "local[2]",
      "--driver-memory", options.driverMemory ?? "2g",
      "--shuffle-partitions", String(options.shufflePartitions ?? 4),
      ...Object.entries(options.conf ?? {}).flatMap(([k, v]) => ["--conf", `${k}=${v}`]),
      "--serve", "--reply-fd", "3",
    ];
    const child = spawn(venvPython(), args, {
      cwd: GLUE_SCRIPTS,
      env: { ...process.env, PYTHONUNBUFFERED: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream as Readable }).on("line", (line) => {
        log.write(`${line}\n`);
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
      });
    }
    const replies = createInterface({ input: child.stdio[3] as Readable });
    const ready = await new Promise<Reply>((resolveReady, rejectReady) => {
      const timer = setTimeout(() => rejectReady(new Error(`Spark did not start within ${START_TIMEOUT_MS / 1000} s (log: ${logFile})`)), START_TIMEOUT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        rejectReady(new Error(`Spark failed to start: ${why} (log: ${logFile}; last line: ${tail[tail.length - 1] ?? "none"})`));
      };
      child.once("error", (e) => fail(e.message));
      child.once("exit", (code) => fail(`exited with ${code}`));
      replies.once("line", (line) => {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.removeAllListeners("error");
        resolveReady(JSON.parse(line) as Reply);
      });
    });
    const info = ready as unknown as ServerInfo;
    const server = new SparkServer(child, log, info, warehouse);
    server.tail.push(...tail);
    replies.on("line", (line) => server.onReply(line));
    child.on("exit", (code, sig) => server.onExit(code, sig, logFile));
    server.idle();
    return server;
  }

  /** One job run; resolves with the run summary the runner wrote (also for a FAILED run). */
  async run(request: RunRequest, signal?: AbortSignal): Promise<RunSummary> {
    const id = `r${this.nextId++}`;
    const cancel = () => this.send({ cancel: id, reason: String(signal?.reason instanceof Error ? signal.reason.message : signal?.reason) });
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      const reply = await this.request(id, { id, args: request.args, buckets: request.buckets ?? null, metrics: request.metrics ?? null });
      // A stop that came while the run published does not stop it (stop.py): its summary says
      // what it published, and the caller must record that, not "stopped".
      if (signal?.aborted && !reply.summary?.published) throw signal.reason instanceof Error ? signal.reason : new Error(`load stopped: ${String(signal.reason)}`);
      if (!reply.summary) throw new Error(`local Glue run failed: ${reply.error ?? "no summary"}`);
      return reply.summary;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  }

  /** One run of the model job (glue-scripts/build_model.py); resolves with its build summary. */
  async runModel(request: Omit<RunRequest, "metrics">): Promise<ModelBuildResult> {
    const id = `m${this.nextId++}`;
    const reply = await this.request(id, { id, job: "build_model", args: request.args, buckets: request.buckets ?? null });
    if (!reply.summary) throw new Error(`local Glue model build failed: ${reply.error ?? "no summary"}`);
    return reply.summary as unknown as ModelBuildResult;
  }

  /** Spark SQL on the server's session (tests inspect branches, snapshots and metadata tables). */
  async sql(statement: string): Promise<Record<string, unknown>[]> {
    const id = `q${this.nextId++}`;
    const reply = await this.request(id, { id, sql: statement });
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.rows ?? [];
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once("exit", () => r()));
    (this.child.stdin as Writable).end();
    this.child.ref();
    await done;
  }

  /** Process id of the server (the JVM and Spark's Python workers are its descendants). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the JVM at once (tests: a driver killed between two steps). */
  kill(): void {
    this.child.kill("SIGKILL");
  }

  private request(id: string, message: object): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    const reply = new Promise<Reply>((resolveReply, rejectReply) => this.pending.set(id, { resolve: resolveReply, reject: rejectReply }));
    this.busy();
    this.send(message);
    return reply;
  }

  private send(message: object): void {
    if (!this.exited) (this.child.stdin as Writable).write(`${JSON.stringify(message)}\n`);
  }

  private onReply(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      return;
    }
    const waiter = reply.id !== undefined ? this.pending.get(reply.id) : undefined;
    if (!waiter) return;
    this.pending.delete(reply.id!);
    if (this.pending.size === 0) this.idle();
    if (reply.error !== undefined && reply.summary === undefined && reply.rows === undefined) {
      waiter.reject(new Error(reply.error.split("\n")[0]));
    } else {
      waiter.resolve(reply);
    }
  }

  private onExit(code: number | null, sig: NodeJS.Signals | null, logFile: string): void {
    this.exited = new Error(
      `local Glue (Spark) exited (${sig ?? `code ${code}`}; log: ${logFile}; last line: ${this.tail[this.tail.length - 1] ?? "none"})`,
    );
    for (const waiter of this.pending.values()) waiter.reject(this.exited);
    this.pending.clear();
    this.log.end();
  }

  // Referenced only while a request is outstanding, so an idle server never keeps Node alive.
  private busy(): void {
    this.child.ref();
    for (const s of [this.child.stdio[3], this.child.stdout, this.child.stderr]) (s as unknown as { ref?(): void }).ref?.();
  }

  private idle(): void {
    this.child.unref();
    for (const s of [this.child.stdio[3], this.child.stdout, this.child.stderr]) (s as unknown as { unref?(): void }).unref?.();
    (this.child.stdin as unknown as { unref?(): void }).unref?.();
  }
}

const shared = new Map<string, Promise<SparkServer>>();

/** One server per warehouse for the whole process (tests and local mode share the JVM). */
export function sharedSparkServer(options: SparkServerOptions): Promise<SparkServer> {
  const key = resolve(options.warehouse);
  let server = shared.get(key);
  if (!server) {
    server = SparkServer.start(options);
    server.catch(() => shared.delete(key));
    shared.set(key, server);
  }
  return server;
}

/** Closes the process's server for one warehouse, if it started one (others keep running). */
export async function closeSharedSparkServer(warehouse: string): Promise<void> {
  const key = resolve(warehouse);
  const server = shared.get(key);
  shared.delete(key);
  await server?.then((s) => s.close(), () => undefined);
}

export async function closeSharedSparkServers(): Promise<void> {
  await Promise.allSettled([...shared.keys()].map(closeSharedSparkServer));
}
