// Customer managed KMS keys of the stack. Their key policies are attached later (KeyPolicies)
// because they name the roles that use them, and those roles are created by other components.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KMS_DELETION_WINDOW_DAYS_PROD } from "../defaults";

export interface PlatformKeysArgs {
  /** Alias prefix, e.g. "datalake-dev" -> alias/datalake-dev-data. */
  aliasPrefix: string;
  /** @default KMS_DELETION_WINDOW_DAYS_PROD */
  deletionWindowInDays?: number;
  /** Protect the keys (losing a key loses every object it encrypted). @default true */
  retainData?: boolean;
}

export class PlatformKeys extends pulumi.ComponentResource {
  /** Encrypts lake data: landing, zone and ops buckets, Glue S3 and bookmarks. */
  public readonly data: aws.kms.Key;
  /** Encrypts operations data: audit table, queues, alert topic, log groups. */
  public readonly ops: aws.kms.Key;
  /**
   * Encrypts Athena query results only: readers use this key, never the data key (which also
   * decrypts landing, bronze and quarantine, where PII is not excluded).
   */
  public readonly athena: aws.kms.Key;

  constructor(name: string, args: PlatformKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:keys:PlatformKeys", name, {}, opts);
    const retain = args.retainData ?? true;
    const keyOpts: pulumi.CustomResourceOptions = { parent: this, protect: retain, retainOnDelete: retain };
    const make = (purpose: string, description: string) => {
      const key = new aws.kms.Key(
        `${name}-${purpose}`,
        {
          description,
          enableKeyRotation: true,
          deletionWindowInDays: args.deletionWindowInDays ?? KMS_DELETION_WINDOW_DAYS_PROD,
          keyUsage: "ENCRYPT_DECRYPT",
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
        },
        keyOpts,
      );
      new aws.kms.Alias(`${name}-${purpose}-alias`, { name: `alias/${args.aliasPrefix}-${purpose}`, targetKeyId: key.keyId }, { parent: this });
      return key;
    };
    this.data = make("data", `${args.aliasPrefix}: lake data (buckets, Glue, Athena results)`);
    this.ops = make("ops", `${args.aliasPrefix}: operations (audit table, queues, topic, logs)`);
    this.athena = make("athena", `${args.aliasPrefix}: Athena query results (readers)`);
    this.registerOutputs({ dataKeyArn: this.data.arn, opsKeyArn: this.ops.arn, athenaKeyArn: this.athena.arn });
  }
}
