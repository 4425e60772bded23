// The Glue Data Catalog side of the lake: one database per zone and the Glue security
// configuration every job runs with (S3, CloudWatch logs and bookmarks encrypted with KMS).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CATALOG_ZONES, CatalogZone, databaseName } from "../catalog-layout";

export interface CatalogArgs {
  /** Physical name prefix, e.g. "datalake-dev". */
  namePrefix: string;
  dataKeyArn: pulumi.Input<string>;
  opsKeyArn: pulumi.Input<string>;
  /** @default true */
  retainData?: boolean;
  /**
   * The account's Lake Formation settings (LakeFormation.ready): the databases are created after
   * them. A database created without CreateTableDefaultPermissions (the provider sends none for
   * `[]`) copies the account's defaults at creation, which on a fresh account still grant
   * IAMAllowedPrincipals ALL, and every table Pulumi then creates in it would carry that grant.
   * @default none
   */
  lakeFormationSettings?: pulumi.Input<pulumi.Resource[]>;
}

export class Catalog extends pulumi.ComponentResource {
  public readonly databases: Record<CatalogZone, aws.glue.CatalogDatabase>;
  /** `semantic` is where the model jobs write the star schema (dim_*, fact_*). */
  public readonly databaseNames: Record<CatalogZone, string>;
  public readonly securityConfiguration: aws.glue.SecurityConfiguration;
  /** Glue names the jobs' encrypted log groups after it (infra/policies/glue-job-policy.ts). */
  public readonly securityConfigurationName: string;

  constructor(name: string, args: CatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:catalog:Catalog", name, {}, opts);
    const retain = args.retainData ?? true;
    this.databaseNames = Object.fromEntries(CATALOG_ZONES.map((z) => [z, databaseName(args.namePrefix, z)])) as Record<CatalogZone, string>;
    this.databases = Object.fromEntries(
      CATALOG_ZONES.map((zone) => [
        zone,
        new aws.glue.CatalogDatabase(
          `${name}-${zone}`,
          {
            name: this.databaseNames[zone],
            description: `${args.namePrefix} ${zone} zone`,
            // No IAMAllowedPrincipals default on new tables: Lake Formation grants decide.
            createTableDefaultPermissions: [],
          },
          { parent: this, protect: retain, retainOnDelete: retain, dependsOn: args.lakeFormationSettings },
        ),
      ]),
    ) as Record<CatalogZone, aws.glue.CatalogDatabase>;
    this.securityConfigurationName = `${args.namePrefix}-glue`;
    this.securityConfiguration = new aws.glue.SecurityConfiguration(
      `${name}-security`,
      {
        name: this.securityConfigurationName,
        encryptionConfiguration: {
          s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: args.dataKeyArn },
          cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: args.opsKeyArn },
          jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: args.dataKeyArn },
        },
      },
      { parent: this },
    );
    this.registerOutputs({ databaseNames: this.databaseNames });
  }
}
