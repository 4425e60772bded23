// A deployed stack for the proof: its landing bucket and audit table (named, or read from the
// Pulumi stack's outputs), every object version in landing (ListObjectVersions), and the SDK
// clients. Credentials and endpoints come from the usual AWS environment (AWS_PROFILE,
// AWS_ENDPOINT_URL_S3 / _DYNAMODB for an emulator).
import { spawnSync } from "child_process";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DATASETS, routeObjectKey } from "../../datasets";
import type { AuditDb } from "../../handlers/audit/store";
import { S3ObjectStore } from "../../handlers/aws/s3-object-store";
import type { VersionMarker } from "../../handlers/ports";
import type { LandedVersion } from "../../handlers/audit/verify";
import { CliError } from "../cli-verb";

export interface StackTarget {
  bucket: string;
  table: string;
  region: string;
}

export interface StackClients {
  s3: S3Client;
  db: AuditDb;
  close(): void;
}

export function stackClients(region: string): StackClients {
  // An emulator (moto, MinIO, LocalStack) on a custom endpoint serves buckets by path, not by
  // DNS name: the same choice botocore makes for a custom endpoint.
  const custom = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const s3 = new S3Client({ region, forcePathStyle: custom });
  const dynamo = new DynamoDBClient({ region });
  return { s3, db: DynamoDBDocumentClient.from(dynamo), close: () => (s3.destroy(), dynamo.destroy()) };
}

/** Every object version in the bucket (delete markers are no versions of content). */
export async function listLandedVersions(s3: S3Client, bucket: string, progress?: (listed: number) => void): Promise<LandedVersion[]> {
  // The landing sweep's listing (same "null" version and ETag handling), over the whole bucket.
  const store = new S3ObjectStore(s3);
  const out: LandedVersion[] = [];
  let next: VersionMarker | undefined;
  do {
    const page = await store.listVersions(bucket, "", next, 1000);
    for (const v of page.versions) {
      out.push({ key: v.key, identities: [{ bucket, versionId: v.versionId, etag: v.etag }], routed: routeObjectKey(DATASETS, v.key) !== undefined });
    }
    progress?.(out.length);
    next = page.next;
  } while (next);
  return out;
}

/** The landing bucket and audit table of a Pulumi stack (its outputs), and its aws:region. */
export function stackTarget(stack: string, region: string | undefined): StackTarget {
  const outputs = pulumiJson(["stack", "output", "--json", "--stack", stack]) as Record<string, unknown>;
  const bucket = outputs.landingBucket;
  const table = outputs.auditTable;
  if (typeof bucket !== "string" || typeof table !== "string") {
    throw new CliError(`stack ${stack} has no landingBucket/auditTable outputs (was it deployed with \`pulumi up\`?)`);
  }
  const config = pulumiJson(["config", "--json", "--stack", stack]) as Record<string, { value?: unknown }>;
  const configured = config["aws:region"]?.value;
  const chosen = region ?? (typeof configured === "string" ? configured : undefined) ?? process.env.AWS_REGION;
  if (!chosen) throw new CliError(`stack ${stack} sets no aws:region: pass --region`);
  return { bucket, table, region: chosen };
}

function pulumiJson(args: string[]): unknown {
  const run = spawnSync("pulumi", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new CliError("the pulumi CLI is not on PATH: install it, or pass --bucket, --table and --region instead of --stack");
  }
  if (run.status !== 0) throw new CliError(`pulumi ${args.join(" ")} failed: ${(run.stderr || run.stdout || "").trim().split("\n")[0]}`);
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new CliError(`pulumi ${args.join(" ")} printed no JSON`);
  }
}
