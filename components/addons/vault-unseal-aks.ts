// Vault auto-unseal on AKS: a Key Vault key that only Vault's service account can use,
// through Entra workload identity (a user-assigned identity federated with the cluster's
// OIDC issuer).

import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig";
import { Key } from "@pulumi/azure-native/keyvault/key";
import { Vault as KeyVault } from "@pulumi/azure-native/keyvault/vault";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../cluster/types";
import { clientIdAnnotation, workloadIdentity, workloadIdentityPodLabels } from "./aks-workload-identity";
import type { VaultUnseal, VaultUnsealArgs } from "./vault-unseal";

/** Built-in role "Key Vault Crypto User": wrap/unwrap with keys, no key management. */
const keyVaultCryptoUserRole = "12338af0-0e69-4776-bea7-57ae8d297424";

export class AksVaultUnseal extends pulumi.ComponentResource implements VaultUnseal {
    readonly sealStanza: pulumi.Output<string>;
    readonly serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
    readonly podLabels = { ...workloadIdentityPodLabels };

    constructor(name: string, args: VaultUnsealArgs & { cloud: Extract<CloudContext, { kind: "aks" }>; keyVaultName: string }, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:AksVaultUnseal", name, {}, opts);
        const { cloud } = args;
        const child = { parent: this, provider: cloud.provider };
        const client = getClientConfigOutput({ provider: cloud.provider });

        const keyVault = new KeyVault(
            name,
            {
                resourceGroupName: cloud.resourceGroupName,
                vaultName: args.keyVaultName,
                location: cloud.location,
                properties: {
                    tenantId: client.tenantId,
                    sku: { family: "A", name: "standard" },
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: 90,
                    // The unseal key must never be purged while Vault's data depends on it.
                    enablePurgeProtection: true,
                },
            },
            { ...child, protect: args.protect },
        );
        const key = new Key(
            name,
            { resourceGroupName: cloud.resourceGroupName, vaultName: keyVault.name, keyName: "vault-unseal", properties: { kty: "RSA", keySize: 2048, keyOps: ["wrapKey", "unwrapKey"] } },
            { ...child, protect: args.protect },
        );
        const { identity } = workloadIdentity(name, cloud, args, child);
        new RoleAssignment(
            name,
            {
                principalId: identity.principalId,
                principalType: "ServicePrincipal",
                roleDefinitionId: pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${keyVaultCryptoUserRole}`,
                scope: key.id,
            },
            child,
        );
        this.serviceAccountAnnotations = { [clientIdAnnotation]: identity.clientId };
        // Tenant and client come from the environment the workload-identity webhook injects.
        this.sealStanza = pulumi.interpolate`seal "azurekeyvault" {
  vault_name = "${keyVault.name}"
  key_name   = "${key.name}"
}
`;
        this.registerOutputs({});
    }
}
