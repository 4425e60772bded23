// The key of `pii: hash` columns. Silver holds HMAC-SHA256(key, value), not a bare SHA-256: an
// unkeyed hash of an email is reversed by hashing a list of emails. The key is per stack (a
// Secrets Manager secret on AWS, read by the Glue runner at start) or per workspace (a file
// created once, owner-only); it is the secret's text, trimmed, as UTF-8 bytes.
//
// The key never enters a plan, an artifact or a job argument: an executor derives HMAC's two
// padded keys from it and registers them as the one-row relation `pii_key` (ipad, opad BINARY)
// at the plan's pii_key step; the plan's SQL reads them from there (dialects.ts hmacSha256).
// Twin: glue-scripts/datalake_glue/pii_key.py.
import { createHash, createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Relation the pii_key step registers, with BINARY columns `ipad` and `opad`. */
export const PII_KEY_RELATION = "pii_key";
/** The workspace's key file, relative to the workspace. */
export const PII_KEY_FILE = path.join("secrets", "pii-hash.key");

const BLOCK = 64; // SHA-256's block size (RFC 2104)

/** K' xor 0x36 and K' xor 0x5c, K' = the key (hashed when longer than a block) padded to a block. */
export function hmacPads(key: Buffer): { ipad: Buffer; opad: Buffer } {
  const short = key.length > BLOCK ? createHash("sha256").update(key).digest() : key;
  const padded = Buffer.concat([short, Buffer.alloc(BLOCK - short.length)]);
  return { ipad: Buffer.from(padded.map((b) => b ^ 0x36)), opad: Buffer.from(padded.map((b) => b ^ 0x5c)) };
}

/**
 * A name for the key that reveals nothing about it. Executors append it to the plan fingerprint
 * they record with the state, so tables hashed under another key are rebuilt, never mixed.
 */
export function piiKeyId(key: Buffer): string {
  return createHmac("sha256", key).update("datalake:pii-key-id").digest("hex").slice(0, 12);
}

/** The plan fingerprint for tables hashed with `key`. */
export const keyedFingerprint = (fingerprint: string, key: Buffer): string => `${fingerprint}.${piiKeyId(key)}`;

/** The key from a secret's text (trimmed, UTF-8); an empty secret is refused. */
export function keyFromSecret(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === "") throw new Error(`the PII hash key in ${where} is empty`);
  return Buffer.from(trimmed, "utf8");
}

/** Path of the workspace's key file, created (32 random bytes, hex, mode 0600) when missing. */
export function workspacePiiKeyFile(workspace: string): string {
  const file = path.join(path.resolve(workspace), PII_KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      // "wx": two processes creating it at once keep the first key, never overwrite it.
      fs.writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  return file;
}

/** The workspace's PII hash key (created on first use). */
export function workspacePiiKey(workspace: string): Buffer {
  const file = workspacePiiKeyFile(workspace);
  return keyFromSecret(fs.readFileSync(file, "utf8"), file);
}
