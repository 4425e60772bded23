// The stack's key for `pii: hash` columns (engine/pii-key.ts): a Secrets Manager secret encrypted
// with the data key. Glue jobs get its ARN as --pii_key_secret and read the value when a run
// starts; the value is never in a job argument, a plan or an artifact.
import { randomBytes } from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PII_KEY_RECOVERY_WINDOW_DAYS } from "../defaults";

export interface PiiHashKeyArgs {
  /** Physical secret name, e.g. "datalake-prod-pii-hash-key". */
  secretName: string;
  kmsKeyArn: pulumi.Input<string>;
  /** The data key's policy: Secrets Manager checks it when the value is encrypted (first deploy). */
  keyPolicy: pulumi.Input<pulumi.Resource[]>;
  /** Protect the secret (losing the key makes every hash unreproducible). @default true */
  retainData?: boolean;
}

export class PiiHashKey extends pulumi.ComponentResource {
  public readonly secret: aws.secretsmanager.Secret;

  constructor(name: string, args: PiiHashKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:pii:PiiHashKey", name, {}, opts);
    const retain = args.retainData ?? true;
    this.secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        name: args.secretName,
        description: "Key of the HMAC-SHA256 of pii: hash columns (read by the Glue load jobs)",
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: retain ? PII_KEY_RECOVERY_WINDOW_DAYS : 0,
      },
      { parent: this, protect: retain, retainOnDelete: retain, dependsOn: args.keyPolicy },
    );
    // Generated once: the value is ignored after creation, since a new key would give every
    // hashed value a new hash (the jobs would then rebuild their tables: pii-key.ts).
    new aws.secretsmanager.SecretVersion(
      `${name}-value`,
      { secretId: this.secret.id, secretString: pulumi.secret(randomBytes(32).toString("hex")) },
      { parent: this, ignoreChanges: ["secretString"], protect: retain, retainOnDelete: retain, dependsOn: args.keyPolicy },
    );
    this.registerOutputs({ secretArn: this.secret.arn });
  }
}
