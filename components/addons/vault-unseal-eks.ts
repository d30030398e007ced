// Vault auto-unseal on EKS: a KMS key only Vault's service account can use, through EKS Pod
// Identity (the agent add-on is installed with the cluster).

import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityTrustPolicy } from "../cluster/eks-pod-identity";
import type { CloudContext } from "../cluster/types";
import type { VaultUnseal, VaultUnsealArgs } from "./vault-unseal";

export class EksVaultUnseal extends pulumi.ComponentResource implements VaultUnseal {
    readonly sealStanza: pulumi.Output<string>;
    readonly serviceAccountAnnotations = {};
    readonly podLabels = {};

    constructor(name: string, args: VaultUnsealArgs & { cloud: Extract<CloudContext, { kind: "eks" }> }, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:EksVaultUnseal", name, {}, opts);
        const child = { parent: this, provider: args.cloud.provider };
        const key = new kms.Key(name, { description: "Vault auto-unseal", enableKeyRotation: true, deletionWindowInDays: 30 }, { ...child, protect: args.protect });
        // Assumable only by this cluster's Pod Identity for Vault's own service account, so
        // another association (in this or another cluster of the account) cannot unseal-key it.
        const role = new iam.Role(name, { assumeRolePolicy: args.cloud.clusterArn.apply((arn) => podIdentityTrustPolicy(arn, args.namespace, args.serviceAccount)) }, child);
        // Exactly what the awskms seal calls, on this key only.
        new iam.RolePolicy(
            name,
            {
                role: role.name,
                policy: key.arn.apply((arn) =>
                    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: arn }] }),
                ),
            },
            child,
        );
        new eks.PodIdentityAssociation(name, { clusterName: args.cloud.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn }, child);
        this.sealStanza = pulumi.interpolate`seal "awskms" {
  region     = "${args.cloud.region}"
  kms_key_id = "${key.keyId}"
}
`;
        this.registerOutputs({});
    }
}
