// Events shaped exactly like the ones EventBridge delivers on AWS, so the handlers cannot tell
// local mode from the cloud.
// S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
// Glue: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
import { randomUUID } from "crypto";
import { LOCAL_NAMES } from "./workspace";

export interface EventBridgeEvent<D = Record<string, unknown>> {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

/**
 * S3 writes object keys into events form-URL-encoded (space -> "+", "+" -> "%2B", "=" -> "%3D")
 * but leaves "/" as is. Handlers must decode; local mode encodes the same way so they do.
 */
export function encodeS3EventKey(key: string): string {
  let out = "";
  for (const ch of key) {
    if (/[A-Za-z0-9.\-_*/]/.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export interface ObjectCreatedInput {
  bucket: string;
  /** The real (decoded) key; the event carries it encoded. */
  key: string;
  size: number;
  etag: string;
  versionId: string;
  sequencer: string;
  time: Date;
}

export function objectCreatedEvent(o: ObjectCreatedInput): EventBridgeEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Object Created",
    source: "aws.s3",
    account: LOCAL_NAMES.account,
    time: isoSeconds(o.time),
    region: LOCAL_NAMES.region,
    resources: [`arn:aws:s3:::${o.bucket}`],
    detail: {
      version: "0",
      bucket: { name: o.bucket },
      object: {
        key: encodeS3EventKey(o.key),
        size: o.size,
        etag: o.etag,
        "version-id": o.versionId,
        sequencer: o.sequencer,
      },
      "request-id": randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase(),
      requester: LOCAL_NAMES.account,
      "source-ip-address": "127.0.0.1",
      reason: "PutObject",
    },
  };
}

export type GlueRunState = "STARTING" | "RUNNING" | "STOPPING" | "STOPPED" | "SUCCEEDED" | "FAILED" | "TIMEOUT" | "ERROR";

export function glueJobStateChangeEvent(o: {
  jobName: string;
  jobRunId: string;
  state: GlueRunState;
  message?: string;
  time: Date;
}): EventBridgeEvent {
  const failed = o.state === "FAILED" || o.state === "TIMEOUT" || o.state === "ERROR";
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Glue Job State Change",
    source: "aws.glue",
    account: LOCAL_NAMES.account,
    time: isoSeconds(o.time),
    region: LOCAL_NAMES.region,
    resources: [],
    detail: {
      jobName: o.jobName,
      severity: failed ? "ERROR" : "INFO",
      state: o.state,
      jobRunId: o.jobRunId,
      message: o.message ?? (failed ? "Job run failed" : `Job run ${o.state.toLowerCase()}`),
    },
  };
}

// EventBridge event times have second precision.
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
