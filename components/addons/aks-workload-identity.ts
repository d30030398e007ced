// One pod identity on an AKS cluster through Entra workload identity: a user-assigned managed
// identity federated with the cluster's OIDC issuer for exactly one service account. Vault's
// auto-unseal, external-dns and cert-manager's DNS-01 each get one; what it may do is the
// caller's role assignments. Pods opt in with the label below and find the identity through
// their service account's client-id annotation (the workload identity webhook does the rest).

import type { FederatedIdentityCredential } from "@pulumi/azure-native/managedidentity/federatedIdentityCredential";
import type { UserAssignedIdentity } from "@pulumi/azure-native/managedidentity/userAssignedIdentity";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../cluster/types";

/** The label that has the workload identity webhook mount the federated token into a pod. */
export const workloadIdentityPodLabels = { "azure.workload.identity/use": "true" } as const;

/** The service account annotation that names the identity a pod signs in as. */
export const clientIdAnnotation = "azure.workload.identity/client-id";

export interface WorkloadIdentity {
    readonly identity: UserAssignedIdentity;
    /** Until it exists, a pod of the service account cannot sign in. */
    readonly credential: FederatedIdentityCredential;
}

/** The identity and its federation with `system:serviceaccount:<namespace>:<serviceAccount>`, named `name`. */
export function workloadIdentity(
    name: string,
    cloud: Extract<CloudContext, { kind: "aks" }>,
    account: { readonly namespace: string; readonly serviceAccount: string },
    opts: pulumi.CustomResourceOptions,
): WorkloadIdentity {
    // The Azure SDK loads only for an AKS stack; the constants above are for every backend's values.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { UserAssignedIdentity } = require("@pulumi/azure-native/managedidentity/userAssignedIdentity") as typeof import("@pulumi/azure-native/managedidentity/userAssignedIdentity");
    const { FederatedIdentityCredential } = require("@pulumi/azure-native/managedidentity/federatedIdentityCredential") as typeof import("@pulumi/azure-native/managedidentity/federatedIdentityCredential");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const identity = new UserAssignedIdentity(name, { resourceGroupName: cloud.resourceGroupName, location: cloud.location }, opts);
    const credential = new FederatedIdentityCredential(
        name,
        {
            resourceGroupName: cloud.resourceGroupName,
            resourceName: identity.name,
            issuer: cloud.oidcIssuerUrl,
            subject: `system:serviceaccount:${account.namespace}:${account.serviceAccount}`,
            audiences: ["api://AzureADTokenExchange"],
        },
        opts,
    );
    return { identity, credential };
}
