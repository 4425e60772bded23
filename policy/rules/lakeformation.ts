// Lake Formation rules: the data lake settings name explicit admins and grant nothing by default to
// IAM_ALLOWED_PRINCIPALS (which would hand every catalog resource to plain IAM and bypass the
// column-level grants that keep PII away from readers).
import { C } from "../lib/controls";
import {
  PolicyRes,
  ResourceRule,
  StackRule,
  Violation,
  asArray,
  get,
  isUnknown,
  ofType,
} from "../lib/model";

export const LF_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings";
const CATALOG_TYPES = [
  "aws:glue/catalogDatabase:CatalogDatabase",
  "aws:glue/catalogTable:CatalogTable",
  "aws:lakeformation/resource:Resource",
  "aws:lakeformation/permissions:Permissions",
];

export function checkDataLakeSettings(res: PolicyRes): string[] {
  const out: string[] = [];
  const admins = res.props.admins;
  if (!isUnknown(admins) && asArray(admins).length === 0)
    out.push("admins must list the data lake administrators (the deployer included)");
  for (const key of ["createDatabaseDefaultPermissions", "createTableDefaultPermissions"]) {
    const entries = res.props[key];
    if (isUnknown(entries)) continue;
    for (const entry of asArray(entries)) {
      const principal = get(entry, "principal");
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
    name: "lakeformation-settings-present",
    description:
      "A stack with catalog or Lake Formation resources manages exactly one DataLakeSettings (no FSBP control).",
    controls: [C.NONE],
    remediation: "Create one aws.lakeformation.DataLakeSettings per stack/account.",
    check: checkSettingsPresent,
  },
];
