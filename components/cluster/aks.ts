// An AKS cluster from plain @pulumi/azure-native resources.

import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig";
import { RoleAssignment } from "@pulumi/azure-native/authorization/roleAssignment";
import * as containerservice from "@pulumi/azure-native/containerservice";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import { ResourceGroup } from "@pulumi/azure-native/resources/resourceGroup";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AksClusterConfig, ApiAccess } from "../config-types";
import { nonInteractiveKubeconfig } from "./aks-kubeconfig";
import { allowedCidrs, type ApiReach, type CloudContext, cloudNodePools, type NodePool, type PlatformCluster, poolLabels, publicAccessCidrs } from "./types";

export interface AksClusterArgs {
    readonly config: AksClusterConfig;
    readonly protectStateful: boolean;
    readonly ha: boolean;
}

/** Built-in role "Azure Kubernetes Service RBAC Cluster Admin". */
const aksRbacClusterAdminRole = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

export class AksCluster extends pulumi.ComponentResource implements PlatformCluster {
    readonly provider: k8s.Provider;
    readonly pools: readonly NodePool[];
    readonly kubeconfig: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly cloud: CloudContext;
    readonly apiReach: ApiReach;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:cluster:AksCluster", name, {}, opts);
        const { config, protectStateful, ha } = args;
        const azure = new AzureProvider(`${name}-azure`, { location: config.location }, { parent: this });
        const child = { parent: this, provider: azure };
        const stateful = { ...child, protect: protectStateful };
        const tags = { "fawkes.dev/cluster": config.name, "app.kubernetes.io/part-of": "fawkes" };
        // ha stacks use Entra ID with Azure RBAC and no local (certificate) accounts: every
        // API call is then tied to a person or workload identity.
        const entraOnly = ha;

        const group = new ResourceGroup(`${name}-rg`, { resourceGroupName: config.resourceGroupName, location: config.location, tags }, stateful);
        const cluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            {
                resourceName: config.name,
                resourceGroupName: group.name,
                location: config.location,
                dnsPrefix: config.name,
                kubernetesVersion: config.kubernetesVersion,
                identity: { type: "SystemAssigned" },
                enableRBAC: true,
                disableLocalAccounts: entraOnly,
                aadProfile: entraOnly ? { managed: true, enableAzureRBAC: true } : undefined,
                networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", loadBalancerSku: "standard" },
                apiServerAccessProfile: apiServerAccessProfile(config.apiAccess),
                // Workload identity lets pods (Vault's auto-unseal) use Entra ID without stored secrets.
                oidcIssuerProfile: { enabled: true },
                securityProfile: { workloadIdentity: { enabled: true } },
                agentPoolProfiles: config.pools.map((pool, i) => ({
                    name: pool.name,
                    // AKS needs one System pool for its own add-ons; the first pool is it.
                    mode: i === 0 ? "System" : "User",
                    count: pool.count,
                    vmSize: pool.instanceType,
                    osDiskSizeGB: pool.diskGiB,
                    osDiskType: "Managed",
                    osType: "Linux",
                    type: "VirtualMachineScaleSets",
                    orchestratorVersion: config.kubernetesVersion,
                    nodeLabels: poolLabels(pool),
                    availabilityZones: ha ? ["1", "2", "3"] : undefined,
                })),
                tags,
            },
            stateful,
        );

        const adminRole = (subscriptionId: pulumi.Input<string>) => pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${aksRbacClusterAdminRole}`;
        let access: pulumi.Resource[] = [];
        if (entraOnly) {
            // Without local accounts, whoever creates the cluster needs an Azure RBAC role on it to
            // install the platform: the bootstrap grant, like EKS's creator grant. It stays with the
            // principal that created the cluster: a later run by CI or a teammate keeps it instead of
            // replacing it (no churn in previews), and they get access through fawkes:cluster.admins.
            const client = getClientConfigOutput({ provider: azure });
            const bootstrap = new RoleAssignment(
                `${name}-deployer-admin`,
                { principalId: client.objectId, roleDefinitionId: adminRole(client.subscriptionId), scope: cluster.id },
                { ...child, ignoreChanges: ["principalId"] },
            );
            access = [bootstrap];
            // fawkes:cluster.admins: AKS RBAC Cluster Admin for each configured Entra object id (config.ts
            // allows them only with ha). Listing the bootstrap principal too would collide.
            if (config.admins.length > 0) {
                const checkedScope = pulumi.all([bootstrap.principalId, cluster.id]).apply(([objectId, id]) => {
                    const listed = config.admins.find((a) => a.toLowerCase() === (objectId ?? "").toLowerCase());
                    if (listed !== undefined) {
                        throw new Error(
                            `fawkes:cluster.admins lists ${listed}, which holds the bootstrap grant (the principal that created the cluster, ` +
                                "or runs this first update): it already has AKS RBAC Cluster Admin, and a second assignment for the same principal " +
                                "and role collides. Remove it from fawkes:cluster.admins.",
                        );
                    }
                    return id;
                });
                config.admins.forEach((principalId, i) => {
                    new RoleAssignment(`${name}-admin-${i}`, { principalId, roleDefinitionId: adminRole(client.subscriptionId), scope: checkedScope }, child);
                });
            }
        }

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            {
                resourceGroupName: group.name,
                resourceName: cluster.name,
                // Entra-only clusters hand out an exec kubeconfig that runs kubelogin.
                format: entraOnly ? "exec" : undefined,
                // The public FQDN in both modes: a private cluster's resolves, in public DNS, to its
                // private address (so a peered runner needs no private DNS link), and the server
                // never changes when the mode does. A changed server would make the Kubernetes
                // provider replace every in-cluster resource.
                serverFqdn: "public",
            },
            { provider: azure },
        );
        this.kubeconfig = pulumi.secret(
            // AKS always returns one; an empty kubeconfig would only appear under a mock
            // harness that answers calls with nothing, and must not crash the program there.
            // Entra-only: kubelogin logs in the way fawkes:cluster.kubelogin says, never with a device code.
            credentials.kubeconfigs.apply((configs) => nonInteractiveKubeconfig(Buffer.from(configs?.[0]?.value ?? "", "base64").toString("utf8"), config.kubelogin)),
        );
        this.clusterName = cluster.name;
        this.cloud = {
            kind: "aks",
            provider: azure,
            location: config.location,
            resourceGroupName: group.name,
            oidcIssuerUrl: cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? ""),
        };
        this.pools = cloudNodePools(config.pools);
        this.apiReach = {
            mode: config.apiAccess.mode,
            endpoint: pulumi.interpolate`https://${cluster.fqdn}:443`,
            allowedCidrs: allowedCidrs(config.apiAccess),
            network: { kind: "aks", nodeResourceGroup: cluster.nodeResourceGroup.apply((g) => g ?? "") },
        };
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: access });
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, pools: this.pools, apiReach: this.apiReach });
    }
}

/**
 * fawkes:cluster.apiAccess on AKS. API Server VNet Integration in both modes: only a cluster
 * created with it can later turn private in place (AKS docs, "Create a private AKS cluster":
 * existing clusters with API Server VNet Integration can enable private cluster mode; others
 * would have to be recreated), so a first run with a public, restricted endpoint can move to a
 * runner inside the network without losing the cluster. With AKS-managed networking the API
 * server's subnet is delegated inside the managed virtual network in the node resource group.
 */
export function apiServerAccessProfile(access: ApiAccess): containerservice.ManagedClusterArgs["apiServerAccessProfile"] {
    if (access.mode === "public") {
        return { enableVnetIntegration: true, authorizedIPRanges: publicAccessCidrs(access) };
    }
    // Authorized IP ranges do not apply to a private API server. The public FQDN stays, resolving
    // to the private address, and the kubeconfig keeps naming it (the credentials call above).
    return { enableVnetIntegration: true, enablePrivateCluster: true, enablePrivateClusterPublicFQDN: true, privateDNSZone: "system" };
}
