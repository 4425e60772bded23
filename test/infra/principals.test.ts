import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { MODELS } from "../../models";
import { ConfigError, parseConfig } from "../../infra/config";
import { evaluateProgram } from "../mocks";
import { T, devRun } from "./program-runs";

const ADMIN = "arn:aws:iam::123456789012:role/Admin";

describe("infra: Lake Formation principals", () => {
  const refused = [
    "arn:aws:iam::123456789012:group/Analysts",
    "arn:aws:iam::123456789012:policy/ReadAll",
    "arn:aws:iam::123456789012:root",
    "arn:aws:sts::123456789012:assumed-role/Analyst/alice",
    "arn:aws:sts::123456789012:federated-user/alice",
  ];
  for (const arn of refused) {
    it(`refuses ${arn.split(":").slice(5).join(":")} as a reader or an admin: only IAM roles and users`, () => {
      expect(() => parseConfig({ lakeFormationAdmins: [ADMIN], readerPrincipals: [arn] }, "dev")).to.throw(
        ConfigError,
        /readerPrincipals\[0\].*not an IAM role\/user ARN/,
      );
      expect(() => parseConfig({ lakeFormationAdmins: [arn] }, "dev")).to.throw(ConfigError, /lakeFormationAdmins\[0\]/);
    });
  }

  it("accepts roles and users with paths", () => {
    const readers = ["arn:aws:iam::123456789012:role/team-a/Analyst", "arn:aws:iam::123456789012:user/ops/bob"];
    expect(parseConfig({ lakeFormationAdmins: [ADMIN], readerPrincipals: readers }, "dev").readerPrincipals).to.deep.equal(readers);
  });

  it("grants two readers with the same role name under different paths separately", async () => {
    const readers = ["arn:aws:iam::123456789012:role/team-a/Analyst", "arn:aws:iam::123456789012:role/team-b/Analyst"];
    const run = await evaluateProgram({ stack: "dev", overrides: { "datalake:readerPrincipals": readers } });
    // The engine refuses two resources with one URN (the mocks do not): the names must differ.
    const urns = run.resources.map((r) => r.urn);
    expect(urns.filter((u, i) => urns.indexOf(u) !== i)).to.deep.equal([]);
    for (const reader of readers) {
      const grants = run.ofType(T.lfPermissions).filter((p) => p.inputs.principal === reader);
      // Every silver table and every model table.
      expect(grants.filter((g) => g.inputs.tableWithColumns), reader).to.have.length(DATASETS.length + MODELS.length);
      // DESCRIBE on silver and on semantic, each under its own name.
      expect(grants.filter((g) => g.inputs.database), reader).to.have.length(2);
    }
  });

  it("refuses two readers whose grant names would still collide, naming both", () => {
    const readers = ["arn:aws:iam::111111111111:role/Analyst", "arn:aws:iam::222222222222:role/Analyst"];
    expect(() => parseConfig({ lakeFormationAdmins: [ADMIN], readerPrincipals: readers }, "dev")).to.throw(
      ConfigError,
      /readerPrincipals.*111111111111:role\/Analyst.*222222222222:role\/Analyst/,
    );
  });

  it("keeps the grant names of path-less roles unchanged (no replacement, no revoke)", async () => {
    const run = await devRun();
    expect(run.named("lakeformation-reader-DataAnalyst-db", T.lfPermissions).inputs.principal).to.equal("arn:aws:iam::123456789012:role/DataAnalyst");
    expect(run.named("orders-grants-reader-DataAnalyst", T.lfPermissions).inputs.principal).to.equal("arn:aws:iam::123456789012:role/DataAnalyst");
  });
});

describe("infra: Lake Formation settings owner", () => {
  it("manages the account's DataLakeSettings by default", async () => {
    const run = await devRun();
    expect(run.ofType(T.lfSettings)).to.have.length(1);
  });

  it("leaves DataLakeSettings to another stack when manageLakeFormationSettings is false, and still grants", async () => {
    const run = await evaluateProgram({ stack: "dev", overrides: { "datalake:manageLakeFormationSettings": "false" } });
    expect(run.ofType(T.lfSettings)).to.deep.equal([]);
    expect(run.ofType(T.lfResource)).to.have.length(4);
    expect(run.ofType(T.lfPermissions).filter((p) => p.inputs.tableWithColumns)).to.have.length(DATASETS.length + MODELS.length);
  });
});
