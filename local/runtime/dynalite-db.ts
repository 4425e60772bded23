// The audit store's transport in local mode: DynamoDB's JSON protocol straight to dynalite over a
// keep-alive loopback connection. The AuditStore (and so every handler) is unchanged; only the SDK
// middleware stack is skipped, because on a 2-core machine it costs more CPU per call than
// dynalite itself (measured: ~3 ms vs ~10 ms per GetItem). The handler tests cover the SDK path
// against dynalite; this path speaks the same wire protocol.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { Agent, request } from "http";
import type { AuditDb } from "../../handlers/audit/store";

const OPERATIONS: Record<string, string> = {
  GetCommand: "GetItem",
  PutCommand: "PutItem",
  UpdateCommand: "UpdateItem",
  DeleteCommand: "DeleteItem",
  QueryCommand: "Query",
  ScanCommand: "Scan",
  BatchGetCommand: "BatchGetItem",
};

type Json = Record<string, any>;
const m = (v: Json | undefined) => (v === undefined ? undefined : marshall(v, { removeUndefinedValues: true }));
const u = (v: Json | undefined) => (v === undefined ? undefined : unmarshall(v));

export class DynaliteDb implements AuditDb {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly url: URL;

  constructor(endpoint: string) {
    this.url = new URL(endpoint);
  }

  /** Takes the lib-dynamodb command objects the AuditStore builds (GetCommand, PutCommand...). */
  async send(command: { input: Json; constructor: { name: string } }): Promise<any> {
    const operation = OPERATIONS[command.constructor.name];
    if (!operation) throw new Error(`DynaliteDb: unsupported command ${command.constructor.name}`);
    const out = await this.call(operation, toWire(operation, command.input));
    return fromWire(operation, out);
  }

  destroy(): void {
    this.agent.destroy();
  }

  private call(operation: string, body: Json): Promise<Json> {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: "POST",
          path: "/",
          agent: this.agent,
          headers: {
            "Content-Type": "application/x-amz-json-1.0",
            "Content-Length": Buffer.byteLength(data),
            "X-Amz-Target": `DynamoDB_20120810.${operation}`,
            // dynalite checks that a signature is present, not that it is valid.
            Authorization: "AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            "X-Amz-Date": "20260101T000000Z",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: Json;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              return reject(new Error(`dynalite ${operation}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
            }
            if ((res.statusCode ?? 500) >= 400) {
              const err = new Error(parsed.message ?? parsed.Message ?? `HTTP ${res.statusCode}`);
              err.name = String(parsed.__type ?? "InternalServerError").split("#").pop()!;
              return reject(err);
            }
            resolve(parsed);
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }
}

function toWire(operation: string, input: Json): Json {
  const out: Json = { ...input };
  for (const field of ["Key", "Item", "ExpressionAttributeValues", "ExclusiveStartKey"]) {
    if (input[field] !== undefined) out[field] = m(input[field]);
  }
  if (operation === "BatchGetItem") {
    out.RequestItems = Object.fromEntries(
      Object.entries(input.RequestItems as Record<string, Json>).map(([table, req]) => [table, { ...req, Keys: (req.Keys as Json[]).map(m) }]),
    );
  }
  return out;
}

function fromWire(operation: string, output: Json): Json {
  const out: Json = { ...output };
  if (output.Item) out.Item = u(output.Item);
  if (output.Items) out.Items = (output.Items as Json[]).map(u);
  if (output.Attributes) out.Attributes = u(output.Attributes);
  if (output.LastEvaluatedKey) out.LastEvaluatedKey = u(output.LastEvaluatedKey);
  if (operation === "BatchGetItem") {
    out.Responses = Object.fromEntries(Object.entries((output.Responses ?? {}) as Record<string, Json[]>).map(([t, items]) => [t, items.map(u)]));
    out.UnprocessedKeys = Object.fromEntries(
      Object.entries((output.UnprocessedKeys ?? {}) as Record<string, Json>).map(([t, req]) => [t, { ...req, Keys: (req.Keys as Json[]).map(u) }]),
    );
  }
  return out;
}
