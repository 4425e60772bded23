// The Lambda runtime wiring: SDK clients at module scope (reused across invocations), env read
// once, HandlerDeps over the AWS adapters. Only the entry files import this.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DATASETS } from "../../datasets";
import { createHandlerDeps } from "../deps";
import { readHandlerEnv } from "../env";
import { jsonLogger, parseLogLevel } from "../log";
import { emfRunMetrics } from "../metrics";
import type { HandlerDeps } from "../ports";
import { awsGlueLauncher } from "./glue-launcher";
import { S3ObjectStore } from "./s3-object-store";

export function createAwsDeps(handlerName: string): HandlerDeps {
  const env = readHandlerEnv();
  return createHandlerDeps({
    dynamo: new DynamoDBClient({}),
    auditTable: env.auditTable,
    objects: new S3ObjectStore(new S3Client({})),
    glue: awsGlueLauncher(),
    specs: DATASETS,
    jobNames: env.jobNames,
    modelGraph: env.modelGraph,
    opsBucket: env.opsBucket,
    landingBucket: env.landingBucket,
    limits: env.limits,
    log: jsonLogger({ handler: handlerName }, parseLogLevel(env.logLevel)),
    metrics: emfRunMetrics(env.metricsNamespace),
  });
}
