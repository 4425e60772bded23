// Lake Formation rules: the data lake settings name explicit admins and grant nothing by default to
// IAM_ALLOWED_PRINCIPALS (which would hand every catalog resource to plain IAM and bypass the
// column-level grants that keep PII away from readers).
import { DATASETS } from "../../datasets";
import type { DatasetSpec } from "../../datasets/define";
import { tableDefs } from "../../engine/compile";
import { modelPiiColumns } from "../../infra/model-layout";
import { MODELS } from "../../models";
import type { ModelSpec } from "../../models/define";
import { C } from "../lib/controls";
import {
  PolicyRes,
  ResourceRule,
  StackRule,
  Violation,
  asArray,
  get,
  isUnknown,
  label,
  ofType,
} from "../lib/model";
import { GLUE_JOB } from "./glue";

export const LF_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings";
export const LF_PERMISSIONS = "aws:lakeformation/permissions:Permissions";
export const LF_RESOURCE = "aws:lakeformation/resource:Resource";
export const LF_OPT_IN = "aws:lakeformation/optIn:OptIn";
const CATALOG_TABLE = "aws:glue/catalogTable:CatalogTable";
export const CATALOG_DATABASE = "aws:glue/catalogDatabase:CatalogDatabase";
const CATALOG_TYPES = [
  CATALOG_DATABASE,
  CATALOG_TABLE,
  "aws:lakeformation/resource:Resource",
  "aws:lakeformation/permissions:Permissions",
];

export function checkDataLakeSettings(res: PolicyRes): string[] {
  const out: string[] = [];
  const admins = res.props.admins;
  if (!isUnknown(admins) && asArray(admins).length === 0)
    out.push("admins must list the data lake administrators (the deployer included)");
  for (const key of ["createDatabaseDefaultPermissions", "createTableDefaultPermissions"]) {
    out.push(...iamAllowedDefaults(res, key));
  }
  return out;
}

/**
 * A Glue database's own table defaults: a grant to IAM_ALLOWED_PRINCIPALS there hands every new
 * table of that zone (silver, semantic, ...) to plain IAM, whatever the account settings say.
 */
export function checkDatabaseDefaults(res: PolicyRes): string[] {
  return iamAllowedDefaults(res, "createTableDefaultPermissions");
}

function iamAllowedDefaults(res: PolicyRes, key: string): string[] {
  const entries = res.props[key];
  if (isUnknown(entries)) return [];
  const out: string[] = [];
  for (const entry of asArray(entries)) {
    // Settings name the principal as a string, a database as { dataLakePrincipalIdentifier }.
    const named = get(entry, "principal");
    const principal = typeof named === "object" && named !== null ? get(named, "dataLakePrincipalIdentifier") : named;
    const permissions = get(entry, "permissions");
    if (
      principal === "IAM_ALLOWED_PRINCIPALS" &&
      (isUnknown(permissions) || asArray(permissions).length > 0)
    ) {
      out.push(
        `${key} grants ${JSON.stringify(permissions)} to IAM_ALLOWED_PRINCIPALS ("Use only IAM access control")`,
      );
    }
  }
  return out;
}

export function checkSettingsPresent(all: PolicyRes[]): Violation[] {
  const catalog = ofType(all, ...CATALOG_TYPES);
  if (catalog.length === 0) return [];
  const settings = ofType(all, LF_SETTINGS);
  if (settings.length === 1) return [];
  return [
    {
      message:
        settings.length === 0
          ? "the stack defines Glue catalog / Lake Formation resources but no DataLakeSettings (admins, no IAMAllowedPrincipals defaults)"
          : `${settings.length} DataLakeSettings resources: the settings are an account singleton and replace each other`,
    },
  ];
}

/**
 * PII columns per catalog table, from the dataset specs and the model specs (the same specs the
 * program deploys). Silver holds "hash" columns as sha256 values, so only "exclude" columns are
 * PII there; bronze, state, quarantine and rejects hold every source value as read, so every PII
 * column is raw there. A model's semantic table (named after the model) carries the "exclude"
 * columns of the datasets it copies values from (infra/model-layout.ts modelPiiColumns: for
 * dim_customer, email).
 */
export function piiColumnsByTable(specs: readonly DatasetSpec[], models: readonly ModelSpec[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const spec of specs) {
    if (spec.pii.length === 0) continue;
    for (const def of Object.values(tableDefs(spec))) {
      const pii = spec.pii
        .filter((p) => def.role !== "silver" || p.mode === "exclude")
        .map((p) => p.column)
        .filter((c) => def.columns.some((col) => col.name === c));
      if (pii.length > 0) out.set(def.name, [...new Set(pii)].sort());
    }
  }
  for (const model of models) {
    const pii = modelPiiColumns(model, specs);
    if (pii.length > 0) out.set(model.name, pii);
  }
  return out;
}

const PII_BY_TABLE = piiColumnsByTable(DATASETS, MODELS);
// Permissions that include reading rows.
const READS_ROWS = ["SELECT", "ALL", "SUPER"];

function readsRows(grant: PolicyRes): boolean {
  const lists = [grant.props.permissions, grant.props.permissionsWithGrantOption];
  return lists.some(
    (l) => isUnknown(l) || asArray(l).some((p) => typeof p === "string" && READS_ROWS.includes(p)),
  );
}

/**
 * True when the grant's principal is the role of a Glue job of this stack (the job writes every
 * column of its tables). Undefined when that cannot be decided yet (unknown ARN, no dependency).
 */
function isJobRole(grant: PolicyRes, jobs: PolicyRes[]): boolean | undefined {
  const principal = grant.props.principal;
  const deps = grant.propertyDeps.principal ?? [];
  const sameRole = (job: PolicyRes) =>
    (job.propertyDeps.roleArn ?? []).some((d) => deps.includes(d));
  if (deps.length > 0 && jobs.some(sameRole)) return true;
  if (isUnknown(principal)) return undefined;
  return jobs.some((j) => j.props.roleArn === principal);
}

/**
 * The table a grant names. In a first preview the name is an unknown output of the catalog table;
 * the engine still says which table it came from (property dependencies), and its name is an input.
 */
function tableName(grant: PolicyRes, field: string, tables: PolicyRes[]): string | undefined {
  const name = get(grant.props, field, "name");
  if (typeof name === "string") return name;
  if (!isUnknown(name)) return undefined;
  const deps = grant.propertyDeps[field] ?? [];
  const hits = tables.filter((t) => deps.includes(t.urn));
  const known = hits.length === 1 ? hits[0].props.name : undefined;
  return typeof known === "string" ? known : undefined;
}

/** Problems of one grant given to a reader (any principal but a job role). */
function readerGrantProblem(
  grant: PolicyRes,
  pii: Map<string, string[]>,
  tables: PolicyRes[],
): string | undefined {
  const whole = get(grant.props, "table");
  if (whole && !isUnknown(whole)) {
    if (get(whole, "wildcard") === true) {
      const database = String(get(whole, "databaseName"));
      return `SELECT on every table of database ${database}: grant tables one by one so PII columns can be excluded`;
    }
    const name = tableName(grant, "table", tables);
    const cols = name ? pii.get(name) : undefined;
    if (cols)
      return `SELECT on all columns of ${name}, including PII column(s) ${cols.join(", ")}; grant tableWithColumns with excludedColumnNames`;
  }
  const columns = get(grant.props, "tableWithColumns");
  if (columns && !isUnknown(columns)) {
    const name = tableName(grant, "tableWithColumns", tables);
    const cols = name ? pii.get(name) : undefined;
    const excluded = get(columns, "excludedColumnNames");
    const named = get(columns, "columnNames");
    if (!cols || isUnknown(excluded) || isUnknown(named)) return undefined;
    const visible =
      get(columns, "wildcard") === true
        ? cols.filter((c) => !asArray(excluded).includes(c))
        : cols.filter((c) => asArray(named).includes(c));
    if (visible.length > 0)
      return `SELECT on ${name} shows PII column(s) ${visible.join(", ")}; exclude them (excludedColumnNames) or leave them out of columnNames`;
  }
  return undefined;
}

/**
 * Readers never see PII, and Lake Formation permissions are never handed back to plain IAM:
 * no grant to IAM_ALLOWED_PRINCIPALS, no hybrid access mode (a registered location or an opt-in
 * that lets IAM policies alone read the data).
 * https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html
 */
export function checkGrants(
  all: PolicyRes[],
  pii: Map<string, string[]> = PII_BY_TABLE,
): Violation[] {
  const jobs = ofType(all, GLUE_JOB);
  const tables = ofType(all, CATALOG_TABLE);
  const out: Violation[] = [];
  for (const grant of ofType(all, LF_PERMISSIONS)) {
    if (grant.props.principal === "IAM_ALLOWED_PRINCIPALS") {
      out.push({
        message: `${label(grant)}: a grant to IAM_ALLOWED_PRINCIPALS hands the resource to plain IAM policies`,
        urn: grant.urn,
      });
      continue;
    }
    if (!readsRows(grant) || isJobRole(grant, jobs) !== false) continue;
    const problem = readerGrantProblem(grant, pii, tables);
    if (problem)
      out.push({
        message: `${label(grant)}: reader ${String(grant.props.principal)} gets ${problem}`,
        urn: grant.urn,
      });
  }
  for (const location of ofType(all, LF_RESOURCE)) {
    if (location.props.hybridAccessEnabled === true)
      out.push({
        message: `${label(location)}: hybridAccessEnabled lets IAM policies read the location besides Lake Formation`,
        urn: location.urn,
      });
  }
  for (const optIn of ofType(all, LF_OPT_IN)) {
    out.push({
      message: `${label(optIn)}: a hybrid access mode opt-in lets IAM policies bypass Lake Formation grants`,
      urn: optIn.urn,
    });
  }
  return out;
}

/** Lake Formation permissions that change a table's (or a database's) rows, metadata or tables. */
const WRITES = ["ALL", "ALTER", "CREATE_TABLE", "DELETE", "DROP", "INSERT", "SUPER"];

/** True when the grant's principal is this job's role (same ARN, or the same role resource at preview). */
function grantsToJobRole(grant: PolicyRes, job: PolicyRes): boolean {
  const deps = grant.propertyDeps.principal ?? [];
  if (deps.length > 0 && (job.propertyDeps.roleArn ?? []).some((d) => deps.includes(d))) return true;
  const principal = grant.props.principal;
  return typeof principal === "string" && principal === job.props.roleArn;
}

/**
 * A model job (a Glue job with a `--model` argument: infra/components/model-job.ts) writes only its
 * own table, `<--semantic_database>.<--model>`: it reads bronze, silver and other models' tables,
 * and a write grant there would let one model's build change another's inputs.
 */
export function checkModelJobWrites(all: PolicyRes[]): Violation[] {
  const tables = ofType(all, CATALOG_TABLE);
  const jobs = ofType(all, GLUE_JOB).flatMap((job) => {
    const model = get(job.props, "defaultArguments", "--model");
    return typeof model === "string" ? [{ job, model, database: get(job.props, "defaultArguments", "--semantic_database") }] : [];
  });
  const out: Violation[] = [];
  for (const grant of ofType(all, LF_PERMISSIONS)) {
    const owner = jobs.find((j) => grantsToJobRole(grant, j.job));
    if (!owner) continue;
    const lists = [grant.props.permissions, grant.props.permissionsWithGrantOption];
    if (lists.some(isUnknown)) continue;
    const writes = lists.flatMap(asArray).filter((p): p is string => typeof p === "string" && WRITES.includes(p));
    if (writes.length === 0) continue;
    const own = typeof owner.database === "string" ? `${owner.database}.${owner.model}` : owner.model;
    const database = get(grant.props, "database", "name");
    if (database !== undefined) {
      if (!isUnknown(database))
        out.push({ message: `${label(grant)}: model job ${owner.model} gets ${writes.join(", ")} on database ${String(database)}; it writes only its own table ${own}`, urn: grant.urn });
      continue;
    }
    const field = get(grant.props, "table") !== undefined ? "table" : "tableWithColumns";
    const name = tableName(grant, field, tables);
    const db = get(grant.props, field, "databaseName");
    if (name === undefined || isUnknown(db)) continue;
    const dbKnown = typeof owner.database === "string" && typeof db === "string";
    if (name !== owner.model || (dbKnown && db !== owner.database))
      out.push({ message: `${label(grant)}: model job ${owner.model} gets ${writes.join(", ")} on ${String(db)}.${name}; it writes only its own table ${own}`, urn: grant.urn });
  }
  return out;
}

export const lakeFormationRules: (ResourceRule | StackRule)[] = [
  {
    kind: "resource",
    name: "lakeformation-settings",
    description:
      "Lake Formation data lake settings list admins and give no default permissions to IAM_ALLOWED_PRINCIPALS (no FSBP control).",
    controls: [C.NONE],
    remediation:
      "Set admins and leave createDatabaseDefaultPermissions / createTableDefaultPermissions empty.",
    types: [LF_SETTINGS],
    check: checkDataLakeSettings,
  },
  {
    kind: "stack",
    name: "lakeformation-reader-grants",
    description:
      "Readers (any principal but a Glue job role of the stack) never get SELECT on the PII columns the dataset specs mark, in silver and the other zones or in the semantic (model) tables that copy them, nor on every table of a database; no grant to IAM_ALLOWED_PRINCIPALS; no hybrid access mode (no FSBP control).",
    controls: [C.NONE],
    remediation:
      "Grant readers tableWithColumns { wildcard: true, excludedColumnNames: <PII columns> } per table; leave hybridAccessEnabled false and create no OptIn.",
    check: (all) => checkGrants(all),
  },
  {
    kind: "stack",
    name: "lakeformation-model-job-writes",
    description:
      "A model job (Glue job with --model) gets Lake Formation write permissions (INSERT, DELETE, ALTER, DROP, ALL, ...) only on its own semantic table, never on the bronze, silver or other models' tables it reads, nor on a database (no FSBP control).",
    controls: [C.NONE],
    remediation:
      "Grant a model job DESCRIBE/SELECT on the tables its plan reads and the write permissions on <semantic database>.<model> only (infra/components/model-grants.ts).",
    check: checkModelJobWrites,
  },
  {
    kind: "resource",
    name: "lakeformation-database-defaults",
    description:
      "Glue databases (every zone's, semantic included) give no default table permissions to IAM_ALLOWED_PRINCIPALS (no FSBP control).",
    controls: [C.NONE],
    remediation: "Set createTableDefaultPermissions: [] on the CatalogDatabase.",
    types: [CATALOG_DATABASE],
    check: checkDatabaseDefaults,
  },
  {
    kind: "stack",
    name: "lakeformation-settings-present",
    description:
      "A stack with catalog or Lake Formation resources manages exactly one DataLakeSettings (no FSBP control).",
    controls: [C.NONE],
    remediation: "Create one aws.lakeformation.DataLakeSettings per stack/account.",
    check: checkSettingsPresent,
  },
];
