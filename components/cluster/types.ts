// The one shape every cluster backend returns, so nothing downstream knows which backend
// built the cluster.

import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ApiAccess, PoolConfig, PublicApiAccess } from "../config-types";

import { capacityCpuLabel, capacityMemoryLabel, poolLabel } from "../../policy/lib/labels";

/** Label every node carries with the name of its pool; workloads select pools with it. */
export { poolLabel };

export interface NodeTaint {
    readonly key: string;
    readonly value?: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** A group of identical nodes as the cluster runs them, with what budgeting needs. */
export interface NodePool {
    readonly name: string;
    /** kind's control plane is modelled as a pool so the budget can count its capacity. */
    readonly role: "control-plane" | "worker";
    readonly count: number;
    /** Capacity per node (not allocatable: reservations are the budget's business). */
    readonly cpu: number;
    readonly memoryGiB: number;
    readonly diskGiB?: number;
    readonly instanceType?: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly NodeTaint[];
}

/**
 * What cloud-specific add-on pieces (Vault auto-unseal) need from the cluster. Providers are
 * typed as plain provider resources so this file never loads a cloud SDK.
 */
export type CloudContext =
    | { readonly kind: "kind" }
    | {
          readonly kind: "eks";
          readonly provider: pulumi.ProviderResource;
          readonly region: string;
          readonly clusterName: pulumi.Output<string>;
          /** What Pod Identity roles' trust policies are conditioned on. */
          readonly clusterArn: pulumi.Output<string>;
      }
    | {
          readonly kind: "aks";
          readonly provider: pulumi.ProviderResource;
          readonly location: string;
          readonly resourceGroupName: pulumi.Output<string>;
          /** OIDC issuer of the cluster's service-account tokens, for workload identity. */
          readonly oidcIssuerUrl: pulumi.Output<string>;
      };

/**
 * How the API server of a cloud cluster is reached (fawkes:cluster.apiAccess), with what a
 * runner inside the cluster's network needs to be set up there (README, "Reaching the cluster").
 */
export interface ApiReach {
    readonly mode: "public" | "private";
    /** The API server's URL, as the kubeconfig names it. */
    readonly endpoint: pulumi.Output<string>;
    /** public: the ranges the public endpoint admits this run; EKS private: the runner networks admitted on 443. */
    readonly allowedCidrs: readonly string[];
    readonly network: RunnerNetwork;
}

/** Where a runner goes to reach a private API server. */
export type RunnerNetwork =
    | {
          readonly kind: "eks";
          readonly vpcId: pulumi.Output<string>;
          /** A runner launched here has a VPC address (inside the default runnerCidrs) and egress through the NAT gateways. */
          readonly privateSubnetIds: pulumi.Output<string[]>;
          /** Attached to the control plane's interfaces; its 443 rules admit apiAccess.runnerCidrs in private mode. */
          readonly apiSecurityGroupId: pulumi.Output<string>;
      }
    | {
          readonly kind: "aks";
          /** Holds the AKS-managed virtual network a runner's own network is peered with. */
          readonly nodeResourceGroup: pulumi.Output<string>;
      };

export interface PlatformCluster {
    readonly cloud: CloudContext;
    /** EKS and AKS: how the API server is reached. Absent on kind (127.0.0.1). */
    readonly apiReach?: ApiReach;
    /** Provider for every in-cluster resource; the default Kubernetes provider is never used. */
    readonly provider: k8s.Provider;
    readonly pools: readonly NodePool[];
    /** Admin kubeconfig, always a secret output. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    /**
     * kind: the cluster itself, so every in-cluster resource is deleted with it (a destroy
     * takes seconds, and works after Docker lost the cluster). Absent in the cloud, where a
     * Service's load balancer must be deleted before the network it lives in.
     */
    readonly deletionAnchor?: pulumi.Resource;
}

/** Node labels for a pool: its name, its declared capacity (read by the budget policy), and any extras. */
export function poolLabels(pool: { name: string; cpu: number; memoryGiB: number }, extra: Record<string, string> = {}): Record<string, string> {
    return { [poolLabel]: pool.name, [capacityCpuLabel]: String(pool.cpu), [capacityMemoryLabel]: String(pool.memoryGiB), ...extra };
}

/** Worker pools of a managed cloud cluster: each configured pool, labelled, untainted. */
export function cloudNodePools(pools: readonly PoolConfig[]): NodePool[] {
    return pools.map((p) => ({
        name: p.name,
        role: "worker",
        count: p.count,
        cpu: p.cpu,
        memoryGiB: p.memoryGiB,
        diskGiB: p.diskGiB,
        instanceType: p.instanceType,
        labels: poolLabels(p),
        taints: [],
    }));
}

/** The ranges a public endpoint admits: the team's, plus the deployer's address for this run. */
export function publicAccessCidrs(access: PublicApiAccess): string[] {
    return [...access.cidrs, ...(access.deployerCidr !== undefined && !access.cidrs.includes(access.deployerCidr) ? [access.deployerCidr] : [])];
}

/** What the API server admits: the public ranges, or in private mode the runner networks (on 443, EKS; none on AKS, whose peered networks need no rule). */
export function allowedCidrs(access: ApiAccess): string[] {
    return access.mode === "public" ? publicAccessCidrs(access) : [...access.runnerCidrs];
}
