// Where each table of a load plan lives: its zone (Glue database + bucket) and S3 location.
// One mapping for the catalog tables, the job arguments, the IAM policies and the grants.
import type { TableRole } from "../engine/plan";

export type Zone = "bronze" | "silver" | "quarantine";
export const ZONES: readonly Zone[] = ["bronze", "silver", "quarantine"];

/**
 * Every zone with a Glue database and a bucket. semantic holds the star schema (models/), written
 * by the model jobs from silver and bronze: it is not a zone of a dataset's load plan (ZONES), so
 * the load jobs get no access to it.
 */
export type CatalogZone = Zone | "semantic";
export const CATALOG_ZONES: readonly CatalogZone[] = [...ZONES, "semantic"];

/**
 * bronze: the replayable history and the job's bookkeeping (bronze, files ledger, CDC state);
 * silver: what readers query; quarantine: rows with reasons and rejected rows.
 */
export const TABLE_ZONE: Record<TableRole, Zone> = {
  bronze: "bronze",
  files: "bronze",
  state: "bronze",
  silver: "silver",
  quarantine: "quarantine",
  rejects: "quarantine",
};

/** Glue database names allow lowercase letters, digits and underscores. */
export function databaseName(prefix: string, zone: CatalogZone): string {
  return `${prefix}_${zone}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}

/** Every table of a dataset lives under `<dataset>/` in its zone bucket (IAM scopes the job to it). */
export function tableLocation(zoneBucketName: string, dataset: string, table: string): string {
  return `s3://${zoneBucketName}/${dataset}/${table}`;
}
