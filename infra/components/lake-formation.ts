// Lake Formation: explicit admins and no IAMAllowedPrincipals defaults, the zone buckets
// registered with a custom role that holds the KMS rights (the service-linked role cannot use a CMK).
// https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountContext, sorted } from "../policies/document";
import { registrationRolePolicyDocument } from "../policies/lake-formation-policy";
import { serviceTrustPolicy } from "../policies/trust-policy";
import { principalLabel } from "../principal-label";

export interface LakeFormationArgs {
  ctx: pulumi.Input<AccountContext>;
  /** Admin ARNs (the deployer included); sorted to avoid ordering drift. */
  admins: pulumi.Input<string[]>;
  /** Zone name -> bucket ARN, each registered as a data location. */
  locations: Record<string, pulumi.Input<string>>;
  dataKeyArn: pulumi.Input<string>;
  /** Readers get DESCRIBE on this (silver) database; table grants come per dataset. */
  readerDatabase: pulumi.Input<string>;
  /** Readers get DESCRIBE on this (semantic) database too; table grants come per model. */
  semanticDatabase?: pulumi.Input<string>;
  /** @default [] */
  readerPrincipals?: string[];
  /**
   * Declare the account's DataLakeSettings (one per account and region: a second stack managing
   * them overwrites the first one's admins). @default true
   */
  manageSettings?: boolean;
}

export class LakeFormation extends pulumi.ComponentResource {
  /** Absent when another stack owns the account's settings. */
  public readonly settings?: aws.lakeformation.DataLakeSettings;
  /** What grants and registrations wait for: the settings when this stack declares them. */
  public readonly ready: pulumi.Resource[];
  public readonly registrationRole: aws.iam.Role;
  public readonly locations: Record<string, aws.lakeformation.Resource>;
  private readonly locationArns: pulumi.Input<string>[];

  constructor(name: string, args: LakeFormationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:lakeformation:LakeFormation", name, {}, opts);
    this.locationArns = Object.values(args.locations);
    // Settings replace the whole admin list: the deployer must be in it or it locks itself out.
    this.settings =
      args.manageSettings ?? true
        ? new aws.lakeformation.DataLakeSettings(
            `${name}-settings`,
            {
              admins: pulumi.output(args.admins).apply((a) => sorted(a)),
              createDatabaseDefaultPermissions: [],
              createTableDefaultPermissions: [],
            },
            { parent: this },
          )
        : undefined;
    this.ready = this.settings ? [this.settings] : [];
    this.registrationRole = new aws.iam.Role(
      `${name}-registration-role`,
      { assumeRolePolicy: pulumi.output(args.ctx).apply((ctx) => JSON.stringify(serviceTrustPolicy(ctx, "lakeformation.amazonaws.com"))) },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-registration-policy`,
      {
        role: this.registrationRole.id,
        policy: pulumi
          .all([args.ctx, pulumi.all(this.locationArns), args.dataKeyArn])
          .apply(([ctx, arns, key]) => JSON.stringify(registrationRolePolicyDocument(ctx, arns, key))),
      },
      { parent: this },
    );
    this.locations = Object.fromEntries(
      Object.entries(args.locations).map(([zone, arn]) => [
        zone,
        new aws.lakeformation.Resource(
          `${name}-location-${zone}`,
          { arn, roleArn: this.registrationRole.arn, useServiceLinkedRole: false, hybridAccessEnabled: false },
          { parent: this, dependsOn: [...this.ready, rolePolicy] },
        ),
      ]),
    );
    for (const reader of sorted(args.readerPrincipals ?? [])) {
      new aws.lakeformation.Permissions(
        `${name}-reader-${principalLabel(reader)}-db`,
        { principal: reader, permissions: ["DESCRIBE"], database: { name: args.readerDatabase } },
        { parent: this, dependsOn: this.ready },
      );
      if (args.semanticDatabase !== undefined) {
        new aws.lakeformation.Permissions(
          `${name}-reader-${principalLabel(reader)}-semantic-db`,
          { principal: reader, permissions: ["DESCRIBE"], database: { name: args.semanticDatabase } },
          { parent: this, dependsOn: this.ready },
        );
      }
    }
    this.registerOutputs({ registrationRoleArn: this.registrationRole.arn });
  }
}
