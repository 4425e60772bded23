// The ONE shared Pulumi mocks module (pulumi.runtime.setMocks is process-global). Infra tests,
// policy tests and the infra bench evaluate the whole program through `evaluateProgram`, which
// records every registered resource with its inputs and resource options.
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { readFileSync } from "fs";
import { join } from "path";
import { parse as parseYaml } from "yaml";

export const MOCK_PROJECT = "datalake";
export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "eu-west-1";
export const MOCK_DEPLOYER_ROLE = `arn:aws:iam::${MOCK_ACCOUNT}:role/deployer`;

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs as the engine received them (Outputs resolved). */
  inputs: Record<string, any>;
  /** Outputs returned by the mock (inputs + computed ids/ARNs). */
  state: Record<string, any>;
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
  parentUrn: string;
  dependencies: string[];
  ignoreChanges: string[];
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, any>;
  /** Every resource of a type token, e.g. "aws:s3/bucket:Bucket". */
  ofType(type: string): RecordedResource[];
  /** The one resource with this logical name (throws when absent or ambiguous). */
  named(name: string, type?: string): RecordedResource;
}

// Physical names and ARNs the way AWS would shape them, so policy assertions read naturally.
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const physical = inputs.name ?? name;
  const acct = MOCK_ACCOUNT;
  const region = MOCK_REGION;
  const [, mod, rest] = /^aws:([^/]+)\/([^:]+):/.exec(type) ?? [];
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? name}mock`;
      return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
    }
    case "aws:kms/key:Key":
      return { ...inputs, keyId: `key-${name}`, arn: `arn:aws:kms:${region}:${acct}:key/key-${name}` };
    case "aws:kms/alias:Alias":
      return { ...inputs, arn: `arn:aws:kms:${region}:${acct}:${inputs.name}` };
    case "aws:iam/role:Role":
      return { ...inputs, name: physical, arn: `arn:aws:iam::${acct}:role/${physical}` };
    case "aws:sqs/queue:Queue":
      return { ...inputs, name: physical, arn: `arn:aws:sqs:${region}:${acct}:${physical}`, url: `https://sqs.${region}.amazonaws.com/${acct}/${physical}` };
    case "aws:sns/topic:Topic":
      return { ...inputs, name: physical, arn: `arn:aws:sns:${region}:${acct}:${physical}` };
    case "aws:lambda/function:Function":
      return { ...inputs, name: physical, arn: `arn:aws:lambda:${region}:${acct}:function:${physical}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return { ...inputs, name: physical, arn: `arn:aws:events:${region}:${acct}:rule/${physical}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...inputs, name: physical, arn: `arn:aws:logs:${region}:${acct}:log-group:${physical}` };
    case "aws:dynamodb/table:Table":
      return { ...inputs, name: physical, arn: `arn:aws:dynamodb:${region}:${acct}:table/${physical}` };
    case "aws:glue/job:Job":
      return { ...inputs, name: physical, arn: `arn:aws:glue:${region}:${acct}:job/${physical}` };
    case "aws:glue/catalogDatabase:CatalogDatabase":
      return { ...inputs, name: physical, arn: `arn:aws:glue:${region}:${acct}:database/${physical}` };
    case "aws:glue/catalogTable:CatalogTable":
      return { ...inputs, name: physical, arn: `arn:aws:glue:${region}:${acct}:table/${inputs.databaseName}/${physical}` };
    case "aws:athena/workgroup:Workgroup":
      return { ...inputs, name: physical, arn: `arn:aws:athena:${region}:${acct}:workgroup/${physical}` };
    case "aws:cloudwatch/dashboard:Dashboard":
      return { ...inputs, dashboardArn: `arn:aws:cloudwatch::${acct}:dashboard/${inputs.dashboardName}` };
    default:
      return { ...inputs, name: physical, arn: inputs.arn ?? `arn:aws:${mod ?? "mock"}:${region}:${acct}:${rest ?? "resource"}/${physical}` };
  }
}

function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, any> {
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT, arn: `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/deployer/session`, userId: "AROAMOCK:session", id: MOCK_ACCOUNT };
    case "aws:index/getRegion:getRegion":
      return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION, endpoint: `ec2.${MOCK_REGION}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:iam/getSessionContext:getSessionContext":
      return { arn: args.inputs.arn, issuerArn: MOCK_DEPLOYER_ROLE, issuerName: "deployer", issuerId: "AROAMOCK", sessionName: "session", id: args.inputs.arn };
    default:
      throw new Error(`test/mocks: no mock for call ${args.token}`);
  }
}

let recorded: RecordedResource[] = [];

// Pulumi wraps every internal promise for leak diagnostics (a stack capture + three
// defineProperty calls each): about half of the runtime's cost per resource under mocks, and an
// exit hook that can flip mocha's exit code. Programs under test do not need it.
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
debuggable.debuggablePromise = (p) => p;
// Likewise the full stack trace captured per resource for source positions (mocks ignore them).
(pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const state = mockState(args.type, args.name, args.inputs);
    return { id: args.id || `${args.name}-id`, state };
  },
  call: mockCall,
};

// The stock MockMonitor does not pass resource options to the mocks; this subclass records them
// (protect, retainOnDelete, parent, dependsOn) so tests can assert data retention. It also
// deserializes each request once (the stock one does it again for the state it keeps).
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

class RecordingMonitor extends MockMonitor {
  override async registerResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
    try {
      const type: string = req.getType();
      const name: string = req.getName();
      const inputs = pulumi.runtime.deserializeProperties(req.getObject());
      const result = await mocks.newResource({ type, name, inputs, provider: req.getProvider(), custom: req.getCustom(), id: req.getImportid() });
      const urn = (this as any).newUrn(req.getParent(), type, name) as string;
      const state = await pulumi.runtime.serializeProperties("", result.state);
      // registerResourceOutputs (components) looks the resource up here.
      this.resources.set(urn, { urn, id: result.id ?? null, state });
      recorded.push({
        type,
        name,
        urn,
        inputs,
        state: result.state,
        custom: req.getCustom(),
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        parentUrn: req.getParent(),
        dependencies: req.getDependenciesList(),
        ignoreChanges: req.getIgnorechangesList(),
      });
      const response = new resproto.RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id || "");
      response.setObject(Struct.fromJavaScript(state));
      callback(null, response);
    } catch (err) {
      callback(err, undefined);
    }
  }
}

/** Stack config as the Pulumi CLI would load it: Pulumi.<stack>.yaml merged with overrides. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file = join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
  const doc = parseYaml(readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const merged: Record<string, unknown> = { ...(doc.config ?? {}) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export interface EvaluateOptions {
  stack: "dev" | "prod" | string;
  /** Full config map (keys like "datalake:environment"); @default stackConfig(stack) */
  config?: Record<string, unknown>;
  /** Builds the program's resources; returns the stack outputs. */
  program: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

let running: Promise<unknown> = Promise.resolve();

/**
 * Evaluates a program under mocks for one stack config and returns every resource it registered.
 * Calls are serialized: the Pulumi runtime (config, stack, monitor) is process-global.
 */
export function evaluate(options: EvaluateOptions): Promise<ProgramRun> {
  const next = running.then(() => evaluateNow(options));
  running = next.catch(() => undefined);
  return next;
}

async function evaluateNow(options: EvaluateOptions): Promise<ProgramRun> {
  await pulumi.runtime.setMocks(mocks, MOCK_PROJECT, options.stack, false);
  // A fresh monitor per evaluation: the stock one keeps every resource's state forever.
  pulumi.runtime.setMockOptions(new RecordingMonitor(mocks), MOCK_PROJECT, options.stack, false);
  const config = options.config ?? stackConfig(options.stack);
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(flat, []);
  recorded = [];
  // Pulumi captures a full stack trace per resource and promise; ts-node's source-map-support
  // makes each capture ~10x slower. V8's own formatting is enough under mocks.
  const { prepareStackTrace, stackTraceLimit } = Error;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  Error.stackTraceLimit = 0;
  let outputs: Record<string, any>;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => options.program())) ?? {};
    await settle();
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  const resources = recorded.filter((r) => r.type !== "pulumi:pulumi:Stack");
  recorded = [];
  return {
    resources,
    outputs,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(name, type) {
      const hits = resources.filter((r) => r.name === name && (type === undefined || r.type === type));
      if (hits.length !== 1) throw new Error(`expected one resource named ${name}, found ${hits.length}`);
      return hits[0];
    },
  };
}

// Resources created inside apply callbacks register after the stack's outputs resolve: wait for
// the runtime's RPC queue to drain, then until no new registration arrives.
async function settle(): Promise<void> {
  const waitForRPCs = (pulumi.runtime as any).waitForRPCs as (() => Promise<void>) | undefined;
  let last = -1;
  while (last !== recorded.length) {
    last = recorded.length;
    if (waitForRPCs) await waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// ---- The whole program ------------------------------------------------------------------------

import type { DatasetSpec } from "../../datasets/define";
import { DATASETS } from "../../datasets";
import { MODELS } from "../../models";
import type { ModelSpec } from "../../models/define";
import { loadConfig } from "../../infra/config";
import { DEFAULT_SOURCES, ProgramSources, createPlatform } from "../../infra/platform";

/** A small placeholder archive: the bundler itself is tested in test/infra/lambda-code.test.ts. */
export function stubHandlerCode(entry: string): pulumi.asset.Archive {
  return new pulumi.asset.AssetArchive({
    "index.js": new pulumi.asset.StringAsset(`// ${entry}\nexports.handler = async () => {};\n`),
  });
}

/** A placeholder model entry script: the program only uploads it (glue-scripts/tests test the runner). */
export const TEST_MODEL_SCRIPT = join(__dirname, "..", "fixtures", "glue", "build_model.py");

export const TEST_SOURCES: ProgramSources = { ...DEFAULT_SOURCES, handlerCode: stubHandlerCode, modelEntryScript: TEST_MODEL_SCRIPT };

export interface ProgramOptions {
  stack: "dev" | "prod" | string;
  /** Merged over Pulumi.<stack>.yaml; `undefined` removes a key. */
  overrides?: Record<string, unknown>;
  /** Full config instead of the stack file (keys like "datalake:environment"). */
  config?: Record<string, unknown>;
  /** @default DATASETS */
  datasets?: readonly DatasetSpec[];
  /** @default MODELS with the default datasets, none with other datasets (the models read DATASETS) */
  models?: readonly ModelSpec[];
  /** @default TEST_SOURCES (stub handler archives) */
  sources?: ProgramSources;
}

/**
 * Evaluates infra/index.ts's program (loadConfig + createPlatform) for one stack config under
 * mocks and returns every resource it registered. Policy tests (H5) reuse this.
 */
export function evaluateProgram(options: ProgramOptions): Promise<ProgramRun> {
  const config = options.config ?? stackConfig(options.stack, options.overrides);
  return evaluate({
    stack: options.stack,
    config,
    program: () => {
      const models = options.models ?? (options.datasets === undefined ? MODELS : []);
      const outputs = createPlatform(loadConfig(), options.datasets ?? DATASETS, options.sources ?? TEST_SOURCES, models);
      return outputs as unknown as Record<string, unknown>;
    },
  });
}
