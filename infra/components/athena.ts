// The stack's Athena workgroup: results encrypted with the data key in the results bucket,
// settings enforced (clients cannot override them) and a bytes-scanned limit per query.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AthenaArgs {
  workgroupName: string;
  resultsBucket: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  bytesScannedCutoffPerQuery: number;
  /** @default false */
  forceDestroy?: boolean;
}

export class Athena extends pulumi.ComponentResource {
  public readonly workgroup: aws.athena.Workgroup;

  constructor(name: string, args: AthenaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:athena:Athena", name, {}, opts);
    this.workgroup = new aws.athena.Workgroup(
      name,
      {
        name: args.workgroupName,
        forceDestroy: args.forceDestroy ?? false,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.resultsBucket}/results/`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.kmsKeyArn },
          },
        },
      },
      { parent: this },
    );
    this.registerOutputs({ workgroup: this.workgroup.name });
  }
}
