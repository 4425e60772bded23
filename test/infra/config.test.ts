import { expect } from "chai";
import { ConfigError, parseConfig } from "../../infra/config";
import { evaluateProgram, stackConfig } from "../mocks";

const ADMIN = "arn:aws:iam::123456789012:role/Admin";

describe("infra: stack config", () => {
  it("reads both stack files into typed configs", () => {
    const dev = parseConfig(unprefix(stackConfig("dev")), "dev");
    const prod = parseConfig(unprefix(stackConfig("prod")), "prod");
    expect(dev).to.deep.include({ environment: "dev", allowDataDestroy: true, logRetentionDays: 14 });
    expect(dev.glue).to.deep.equal({ version: "5.1", workerType: "G.1X", workers: 2, timeoutMinutes: 30, flex: true });
    expect(prod).to.deep.include({ environment: "prod", allowDataDestroy: false, alertEmail: "data-oncall@example.com" });
  });

  it("applies defaults: data retained, Glue 5.1 G.1X", () => {
    const cfg = parseConfig({ lakeFormationAdmins: [ADMIN] }, "staging");
    expect(cfg).to.deep.include({ environment: "dev", allowDataDestroy: false, readerPrincipals: [] });
    expect(cfg.glue).to.deep.equal({ version: "5.1", workerType: "G.1X", workers: 2, timeoutMinutes: 60, flex: false });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["missing admins", {}, /datalake:lakeFormationAdmins.*is required/],
    ["an admin that is not an ARN", { lakeFormationAdmins: ["admin"] }, /lakeFormationAdmins\[0\].*not an IAM role\/user ARN/],
    ["an unknown worker type", { glue: { workerType: "G.3X" } }, /glue\.workerType.*unknown Glue worker type "G\.3X"/],
    ["flex on a large worker", { glue: { workerType: "G.4X", flex: true } }, /glue\.flex.*flex execution needs worker type G\.1X or G\.2X/],
    ["an unknown glue field", { glue: { workers: 2, memory: 4 } }, /glue.*unknown field\(s\) memory/],
    ["a Glue version the runner is not tested on", { glue: { version: "5.0" } }, /glue\.version.*runs on Glue 5\.1 .*got 5\.0/],
    ["a log retention CloudWatch rejects", { logRetentionDays: "10" }, /logRetentionDays.*10 is not a CloudWatch retention/],
    ["a bad email", { alertEmail: "oncall" }, /alertEmail.*not an email/],
    ["a bad boolean", { allowDataDestroy: "yes" }, /allowDataDestroy.*true or false/],
    ["a bad environment", { environment: "qa" }, /environment.*"dev" or "prod"/],
    ["a bad schedule", { reconcileSchedule: "every 5 minutes" }, /reconcileSchedule/],
    ["a bad settings-owner flag", { manageLakeFormationSettings: "maybe" }, /manageLakeFormationSettings.*true or false/],
    ["a deployer that is an STS session", { deployerArn: "arn:aws:sts::123456789012:assumed-role/Deploy/ci" }, /deployerArn.*not an IAM role\/user ARN/],
    ["an operator that is a group", { operatorPrincipals: ["arn:aws:iam::123456789012:group/Ops"] }, /operatorPrincipals\[0\].*not an IAM role\/user ARN/],
    ["an unknown lambda field", { lambda: { memory: 512 } }, /lambda.*unknown field\(s\) memory/],
    ["a log level the handlers and Lambda do not share", { logLevel: "verbose" }, /logLevel.*one of DEBUG, INFO, WARN, ERROR/],
  ];
  for (const [what, raw, message] of bad) {
    it(`rejects ${what} with a message naming the key`, () => {
      const input = { lakeFormationAdmins: [ADMIN], ...raw };
      if (what === "missing admins") delete (input as Record<string, unknown>).lakeFormationAdmins;
      expect(() => parseConfig(input, "dev")).to.throw(ConfigError, message);
    });
  }

  it("fails the program evaluation when a stack has no Lake Formation admins", async () => {
    const error = await evaluateProgram({ stack: "dev", overrides: { "datalake:lakeFormationAdmins": undefined } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/Invalid stack config "datalake:lakeFormationAdmins": is required/);
  });

  it("fails the program evaluation on an unknown Glue worker type", async () => {
    const error = await evaluateProgram({ stack: "prod", overrides: { "datalake:glue": { workerType: "Z.9X" } } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/datalake:glue\.workerType.*Z\.9X/);
  });
});

function unprefix(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k]) => k.startsWith("datalake:"))
      .map(([k, v]) => [k.slice("datalake:".length), v]),
  );
}
