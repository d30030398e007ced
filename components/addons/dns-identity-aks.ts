// Azure DNS rights for one service account of an AKS cluster, through Entra workload identity:
// a user-assigned identity federated with the cluster's OIDC issuer for that service account
// only, holding "DNS Zone Contributor" on the stack's zone alone (and, for external-dns, read
// access to the resource group it lists the zone from). Used by external-dns (the platform's
// records) and, with fawkes:tls.solver dns01, by cert-manager (its challenge TXT records). The
// pods opt in with the label `azure.workload.identity/use` and find the identity through the
// service account's client-id annotation.

import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig";
import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../cluster/types";
import type { AzureDns } from "../config-types";
import { workloadIdentity } from "./aks-workload-identity";

/** Built-in role "DNS Zone Contributor": the zone and its record sets, not who may access them. */
export const dnsZoneContributorRole = "befefa01-2a29-4197-83a8-272ff33ce314";
/** Built-in role "Reader". */
export const readerRole = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

export interface AksDnsIdentityArgs {
    readonly cloud: Extract<CloudContext, { kind: "aks" }>;
    readonly dns: AzureDns;
    readonly namespace: string;
    readonly serviceAccount: string;
    /**
     * Also read the zone's resource group. external-dns v0.21 finds its zone by listing the
     * DNS zones of the resource group (ZonesClient.NewListByResourceGroupPager), which Azure
     * authorizes at the resource group, not at the zone (external-dns docs/tutorials/azure.md
     * grants Reader there). cert-manager reads and writes the one zone it is given, and needs none.
     */
    readonly readResourceGroup: boolean;
}

export class AksDnsIdentity extends pulumi.ComponentResource {
    readonly clientId: pulumi.Output<string>;
    readonly tenantId: pulumi.Output<string>;
    readonly subscriptionId: pulumi.Output<string>;
    /** The zone's ARM id, the scope of the identity's write rights. */
    readonly zoneResourceId: pulumi.Output<string>;
    /** The federated credential and role assignments: a pod started before them cannot sign in or write. */
    readonly grants: pulumi.Resource[];

    constructor(name: string, args: AksDnsIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:AksDnsIdentity", name, {}, opts);
        const { cloud, dns } = args;
        const child = { parent: this, provider: cloud.provider };
        const client = getClientConfigOutput({ provider: cloud.provider });
        this.tenantId = client.tenantId;
        this.subscriptionId = client.subscriptionId;
        const resourceGroupId = pulumi.interpolate`/subscriptions/${client.subscriptionId}/resourceGroups/${dns.resourceGroupName}`;
        this.zoneResourceId = pulumi.interpolate`${resourceGroupId}/providers/Microsoft.Network/dnsZones/${dns.zone}`;
        const role = (id: string) => pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

        const { identity, credential } = workloadIdentity(name, cloud, args, child);
        const grant = (suffix: string, roleId: string, scope: pulumi.Input<string>) =>
            new RoleAssignment(`${name}-${suffix}`, { principalId: identity.principalId, principalType: "ServicePrincipal", roleDefinitionId: role(roleId), scope }, child);
        this.grants = [
            credential,
            grant("zone", dnsZoneContributorRole, this.zoneResourceId),
            ...(args.readResourceGroup ? [grant("zone-group", readerRole, resourceGroupId)] : []),
        ];
        this.clientId = identity.clientId;
        this.registerOutputs({ clientId: this.clientId });
    }
}
