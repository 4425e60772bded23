import { expect } from "chai";
import { DATASETS, getDataset } from "../../datasets";
import { MODELS } from "../../models";
import { compilePlan } from "../../engine/compile";
import { JOB_TABLE_PERMISSIONS } from "../../infra/components/dataset-grants";
import { readerColumnGrant } from "../../infra/reader-columns";
import { MOCK_DEPLOYER_ROLE, evaluateProgram } from "../mocks";
import { T, devRun, doc, prodRun } from "./program-runs";

const READERS = ["arn:aws:iam::123456789012:role/BiService", "arn:aws:iam::123456789012:role/DataAnalyst"];

describe("infra: Lake Formation", () => {
  it("sets explicit, sorted admins (the deployer included) and empty default permissions", async () => {
    const run = await devRun();
    const settings = run.ofType(T.lfSettings);
    expect(settings).to.have.length(1);
    expect(settings[0].inputs.admins).to.deep.equal(["arn:aws:iam::123456789012:role/DataPlatformAdmin", MOCK_DEPLOYER_ROLE].sort());
    expect(settings[0].inputs.createDatabaseDefaultPermissions ?? []).to.deep.equal([]);
    expect(settings[0].inputs.createTableDefaultPermissions ?? []).to.deep.equal([]);
  });

  it("takes the deployer from datalake:deployerArn when set: a preview run by another role (the PR workflow's) changes neither the admins nor the data key policy", async () => {
    const deployRole = "arn:aws:iam::123456789012:role/ci/DatalakeDeploy";
    // The mocked caller is MOCK_DEPLOYER_ROLE: here it stands for the read-only preview role.
    const run = await evaluateProgram({ stack: "dev", overrides: { "datalake:deployerArn": deployRole } });
    expect(run.ofType(T.lfSettings)[0].inputs.admins).to.deep.equal(["arn:aws:iam::123456789012:role/DataPlatformAdmin", deployRole].sort());
    const dataKey = doc(run.named("key-policies-data", T.keyPolicy)).Statement.find((s: { Sid: string }) => s.Sid === "DeployerUseKey");
    expect(dataKey.Principal).to.deep.equal({ AWS: [deployRole] });
    const mentions = (r: { inputs: unknown }) => JSON.stringify(r.inputs).includes(MOCK_DEPLOYER_ROLE);
    expect([...run.ofType(T.lfSettings), ...run.ofType(T.keyPolicy)].filter(mentions).map((r) => r.name)).to.deep.equal([]);
  });

  it("creates every Glue database after the settings: a database copies the account's default permissions when created", async () => {
    for (const run of [await devRun(), await prodRun()]) {
      const settingsUrn = run.ofType(T.lfSettings)[0].urn;
      const databases = run.ofType(T.glueDatabase);
      expect(databases).to.have.length(4);
      for (const db of databases) expect(db.dependencies, db.name).to.include(settingsUrn);
    }
  });

  it("registers the four zone buckets (semantic included) with the custom registration role, after the settings", async () => {
    const run = await devRun();
    const roleArn = run.named("lakeformation-registration-role", T.role).state.arn;
    const registrations = run.ofType(T.lfResource);
    expect(registrations.map((r) => r.inputs.arn).sort()).to.deep.equal(
      ["bronze", "silver", "quarantine", "semantic"].map((z) => run.named(`storage-${z}`, T.bucket).state.arn).sort(),
    );
    const settingsUrn = run.ofType(T.lfSettings)[0].urn;
    for (const r of registrations) {
      expect(r.inputs).to.include({ roleArn, useServiceLinkedRole: false, hybridAccessEnabled: false });
      expect(r.dependencies).to.include(settingsUrn);
    }
  });

  it("grants readers SELECT on silver tables (and model tables: models.test.ts) only, without PII columns excluded by the spec", async () => {
    const run = await prodRun();
    const readerGrants = run.ofType(T.lfPermissions).filter((p) => READERS.includes(p.inputs.principal));
    const isSemantic = (g: (typeof readerGrants)[number]) => (g.inputs.tableWithColumns ?? g.inputs.table)?.databaseName === "datalake_prod_semantic";
    expect(readerGrants.filter(isSemantic)).to.have.length(READERS.length * MODELS.length);
    const tableGrants = readerGrants.filter((g) => (g.inputs.tableWithColumns || g.inputs.table) && !isSemantic(g));
    expect(tableGrants).to.have.length(READERS.length * DATASETS.length);
    for (const grant of tableGrants) {
      expect(grant.inputs.permissions).to.deep.equal(["SELECT"]);
      expect(grant.inputs.tableWithColumns.databaseName).to.equal("datalake_prod_silver");
    }
    const customers = tableGrants.filter((g) => g.inputs.tableWithColumns.name === "customers");
    const silverColumns = compilePlan(getDataset("customers"), { dialect: "spark" }).tables.silver.columns.map((c) => c.name);
    expect(silverColumns).to.include("email");
    for (const grant of customers) {
      // A wildcard minus the PII column, never a list of names (see infra/reader-columns.ts).
      expect(grant.inputs.tableWithColumns).to.include({ wildcard: true });
      expect(grant.inputs.tableWithColumns.excludedColumnNames).to.deep.equal(["email"]);
      expect(grant.inputs.tableWithColumns.columnNames).to.equal(undefined);
    }
    const orders = tableGrants.filter((g) => g.inputs.tableWithColumns.name === "orders");
    for (const grant of orders) {
      expect(grant.inputs.tableWithColumns).to.include({ wildcard: true });
      expect(grant.inputs.tableWithColumns).to.not.have.property("excludedColumnNames");
    }
    // DESCRIBE on the two databases readers query: silver and the semantic (star schema) one.
    const dbGrants = readerGrants.filter((g) => g.inputs.database);
    for (const reader of READERS) {
      const own = dbGrants.filter((g) => g.inputs.principal === reader);
      expect(own.map((g) => g.inputs.database.name).sort(), reader).to.deep.equal(["datalake_prod_semantic", "datalake_prod_silver"]);
      for (const g of own) expect(g.inputs.permissions, reader).to.deep.equal(["DESCRIBE"]);
    }
    expect(dbGrants).to.have.length(READERS.length * 2);
  });

  it("makes each Glue job wait for its readers' grants, so a failed exclusion never ships a plan adding a PII column", async () => {
    const run = await prodRun();
    for (const spec of DATASETS) {
      const grants = run
        .ofType(T.lfPermissions)
        .filter((p) => READERS.includes(p.inputs.principal) && p.inputs.tableWithColumns?.name === spec.target.table);
      expect(grants, spec.name).to.have.length(READERS.length);
      const job = run.named(`${spec.name}-job`, T.glueJob);
      for (const grant of grants) expect(job.dependencies, spec.name).to.include(grant.urn);
    }
  });

  it("keeps a reader grant unchanged when a spec gains a column (the job adds it to the table later)", () => {
    const customers = getDataset("customers");
    const grown = { ...customers, columns: [...customers.columns, { name: "loyalty_tier", type: "string" as const, optional: true }] };
    expect(readerColumnGrant(grown)).to.deep.equal(readerColumnGrant(customers));
    expect(readerColumnGrant({ pii: [{ column: "b", mode: "exclude" }, { column: "a", mode: "exclude" }, { column: "c", mode: "hash" }] })).to.deep.equal({
      wildcard: true,
      excludedColumnNames: ["a", "b"],
    });
  });

  it("grants each job role its six tables and its data locations, with sorted permission lists", async () => {
    const run = await devRun();
    for (const spec of DATASETS) {
      const roleArn = run.named(`${spec.name}-job-role`, T.role).state.arn;
      const grants = run.ofType(T.lfPermissions).filter((p) => p.inputs.principal === roleArn);
      const tables = grants.filter((g) => g.inputs.table);
      expect(tables, spec.name).to.have.length(6);
      for (const t of tables) expect(t.inputs.permissions).to.deep.equal(JOB_TABLE_PERMISSIONS).and.deep.equal([...JOB_TABLE_PERMISSIONS].sort());
      const locations = grants.filter((g) => g.inputs.dataLocation).map((g) => g.inputs.dataLocation.arn).sort();
      expect(locations, spec.name).to.deep.equal(
        ["bronze", "quarantine", "silver"].map((z) => `${run.named(`storage-${z}`, T.bucket).state.arn}/${spec.name}`),
      );
      expect(grants.every((g) => !g.inputs.permissions.includes("ALL"))).to.equal(true);
    }
  });

  it("orders grants after the settings, the location registrations and the tables they name", async () => {
    const run = await devRun();
    const settings = run.ofType(T.lfSettings)[0].urn;
    const location = run.named("orders-grants-job-location-silver", T.lfPermissions);
    expect(location.dependencies).to.include.members([settings, run.named("lakeformation-location-silver", T.lfResource).urn]);
    expect(location.inputs.dataLocation.arn).to.equal(`${run.named("storage-silver", T.bucket).state.arn}/orders`);
    const table = run.named("orders-grants-job-table-silver", T.lfPermissions);
    expect(table.dependencies).to.include.members([settings, run.named("orders-tables-silver", T.glueTable).urn]);
    const catalogTable = run.named("orders-tables-silver", T.glueTable);
    expect(catalogTable.dependencies).to.include(run.named("catalog-silver", T.glueDatabase).urn);
  });

  it("creates one Glue database per zone, the semantic one included, none granting IAM defaults", async () => {
    const run = await devRun();
    expect(run.ofType(T.glueDatabase).map((d) => d.inputs.name).sort()).to.deep.equal([
      "datalake_dev_bronze",
      "datalake_dev_quarantine",
      "datalake_dev_semantic",
      "datalake_dev_silver",
    ]);
    for (const db of run.ofType(T.glueDatabase)) expect(db.inputs.createTableDefaultPermissions ?? [], db.name).to.deep.equal([]);
  });

  it("keeps the dataset load jobs out of the semantic zone: no job policy or grant names its database or bucket", async () => {
    const run = await devRun();
    const semanticBucket = run.named("storage-semantic", T.bucket).state.arn;
    for (const spec of DATASETS) {
      const policy = JSON.stringify(run.named(`${spec.name}-job-policy`, T.rolePolicy).inputs.policy);
      expect(policy, spec.name).to.not.include("datalake_dev_semantic");
      expect(policy, spec.name).to.not.include(semanticBucket);
    }
    const loadJobRoles = DATASETS.map((s) => run.named(`${s.name}-job-role`, T.role).state.arn);
    const jobGrants = run.ofType(T.lfPermissions).filter((p) => loadJobRoles.includes(p.inputs.principal));
    expect(jobGrants).to.not.be.empty;
    expect(JSON.stringify(jobGrants.map((g) => g.inputs))).to.not.include("semantic");
  });
});
