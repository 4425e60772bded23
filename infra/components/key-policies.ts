// Key policies naming exactly the roles and service principals that use each key. Attached as
// separate resources once every role exists (a key policy naming a missing role is rejected).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountContext } from "../policies/document";
import { keyPolicyDocument } from "../policies/kms-key-policy";

export interface KeyPolicyGrant {
  keyId: pulumi.Input<string>;
  userArns: pulumi.Input<pulumi.Input<string>[]>;
  /** @default false */
  cloudWatchLogs?: boolean;
  /** @default [] */
  publishingServices?: string[];
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
      const document = pulumi.all([args.ctx, grant.userArns]).apply(([ctx, userArns]) =>
        JSON.stringify(
          keyPolicyDocument({
            ctx,
            userArns,
            cloudWatchLogs: grant.cloudWatchLogs ?? false,
            publishingServices: grant.publishingServices ?? [],
          }),
        ),
      );
      this.policies.push(new aws.kms.KeyPolicy(`${name}-${purpose}`, { keyId: grant.keyId, policy: document }, { parent: this }));
    }
    this.registerOutputs({});
  }
}
