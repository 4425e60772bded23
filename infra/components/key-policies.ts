// Key policies naming exactly the roles and service principals that use each key. Attached as
// separate resources once every role exists (a key policy naming a missing role is rejected).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountContext } from "../policies/document";
import { KeyUsers, keyPolicyDocument } from "../policies/kms-key-policy";

export type KeyUsersInput = Omit<KeyUsers, "arns" | "onlyBuckets"> & {
  arns: pulumi.Input<pulumi.Input<string>[]>;
  onlyBuckets?: pulumi.Input<pulumi.Input<string>[]>;
};

export interface KeyPolicyGrant {
  keyId: pulumi.Input<string>;
  users: KeyUsersInput[];
  /** Log groups CloudWatch Logs may encrypt with the key. @default none */
  logGroupArns?: pulumi.Input<string[]>;
  /** Service principal -> the sources it publishes for (rules, alarms). @default none */
  publishers?: Record<string, pulumi.Input<string[]>>;
}

export interface KeyPoliciesArgs {
  ctx: pulumi.Input<AccountContext>;
  keys: Record<string, KeyPolicyGrant>;
}

export class KeyPolicies extends pulumi.ComponentResource {
  /** One KeyPolicy per key: CMK-encrypted resources depend on these (see infra/key-policy-gate.ts). */
  public readonly policies: aws.kms.KeyPolicy[] = [];

  constructor(name: string, args: KeyPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:keys:KeyPolicies", name, {}, opts);
    for (const [purpose, grant] of Object.entries(args.keys)) {
      const document = pulumi
        .all([args.ctx, pulumi.output(grant.users), pulumi.output(grant.logGroupArns ?? []), pulumi.output(grant.publishers ?? {})])
        .apply(([ctx, users, logGroupArns, publishers]) =>
          JSON.stringify(keyPolicyDocument({ ctx, users: users as KeyUsers[], logGroupArns, publishers: publishers as Record<string, string[]> })),
        );
      this.policies.push(new aws.kms.KeyPolicy(`${name}-${purpose}`, { keyId: grant.keyId, policy: document }, { parent: this }));
    }
    this.registerOutputs({});
  }
}
