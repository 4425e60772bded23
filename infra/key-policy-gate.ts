// The key policies name the roles that use each key, so they are created after those roles. Yet
// CloudWatch Logs, SQS, SNS and DynamoDB check a CMK's policy when a resource encrypted with it is
// created: on a fresh account a log group created before the policy fails the first `pulumi up`.
// Components that create such resources early wait on `gate.ready`, a promise of the KeyPolicy
// resources (Pulumi accepts a promise in `dependsOn`), settled once the policies are declared.
import * as pulumi from "@pulumi/pulumi";

export class KeyPolicyGate {
  /** The key-policy resources; pass as `dependsOn` of every CMK-encrypted log group, queue, topic, table. */
  public readonly ready: Promise<pulumi.Resource[]>;
  private settle!: (policies: pulumi.Resource[]) => void;

  constructor() {
    this.ready = new Promise((resolve) => (this.settle = resolve));
  }

  open(policies: pulumi.Resource[]): void {
    this.settle(policies);
  }
}
