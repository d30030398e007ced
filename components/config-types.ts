// The typed, validated shape of a stack's configuration. Produced only by config.ts.

import type * as pulumi from "@pulumi/pulumi";

export const clusterProviders = ["kind", "eks", "aks"] as const;
export type ClusterProvider = (typeof clusterProviders)[number];

export const tlsIssuers = ["local-ca", "letsencrypt-staging", "letsencrypt"] as const;
export type TlsIssuer = (typeof tlsIssuers)[number];

/** How cert-manager proves control of the platform's names to Let's Encrypt. */
export const acmeSolvers = ["http01", "dns01"] as const;
export type AcmeSolver = (typeof acmeSolvers)[number];

/**
 * `fawkes:dns`: a DNS zone the platform manages its own records in, with external-dns (and, with
 * `fawkes:tls.solver: dns01`, cert-manager's DNS-01 challenges). Route 53 on EKS, Azure DNS on AKS.
 */
export type DnsConfig = Route53Dns | AzureDns;

interface DnsCommon {
    /** The zone's name; fawkes:domain is this name or a name under it. */
    readonly zone: string;
    /** external-dns's TXT owner id: it changes only records carrying it. */
    readonly ownerId: string;
}

export interface Route53Dns extends DnsCommon {
    readonly provider: "route53";
    /** The hosted zone's id (Z…), which scopes the IAM policy to this one zone. */
    readonly zoneId: string;
}

export interface AzureDns extends DnsCommon {
    readonly provider: "azure-dns";
    /** The resource group holding the DNS zone (it may differ from the cluster's). */
    readonly resourceGroupName: string;
}

export const ingressControllers = ["traefik", "ingress-nginx"] as const;
export type IngressController = (typeof ingressControllers)[number];

/** The core apps `fawkes:ingress.internal` can take off the public entrypoint. */
export const internalApps = ["vault", "argo-cd"] as const;
export type InternalApp = (typeof internalApps)[number];

/**
 * `fawkes:ingress.internal`: these apps are served only on a second, internal entrypoint of
 * the ingress controller, behind its own internal load balancer that admits only sourceRanges.
 */
export interface InternalExposure {
    readonly apps: readonly InternalApp[];
    /** IPv4 CIDRs the internal load balancer admits (the VPC/VNet and VPN ranges). */
    readonly sourceRanges: readonly string[];
}

/** A group of identical worker nodes. */
export interface PoolConfig {
    readonly name: string;
    readonly count: number;
    /** Cloud instance type (EKS/AKS); absent on kind. */
    readonly instanceType?: string;
    /** vCPU per node. On kind this is declared for budgeting, not enforced by Docker. */
    readonly cpu: number;
    readonly memoryGiB: number;
    /** Root/OS disk per node (EKS/AKS); absent on kind, whose nodes share the host's disk. */
    readonly diskGiB?: number;
    /** CPU architecture, from the instance table or assumed x86_64 for custom sizes. */
    readonly arch: "x86_64" | "arm64";
}

interface ClusterBase {
    readonly name: string;
    readonly kubernetesVersion: string;
    readonly pools: readonly PoolConfig[];
}

export interface KindClusterConfig extends ClusterBase {
    readonly provider: "kind";
    /** The control-plane node, declared like a pool for budgeting. */
    readonly controlPlane: { readonly cpu: number; readonly memoryGiB: number };
    /** Pull-through registry caches on the Docker host, used by every node as mirrors. */
    readonly imageCache: boolean;
    /** Host ports mapped to the ingress controller, and the host address they bind to. */
    readonly hostPorts: KindHostPorts;
}

export interface KindHostPorts {
    readonly http: number;
    readonly https: number;
    /** 127.0.0.1 by default: the platform answers to this machine only. */
    readonly listenAddress: string;
}

/** The CIDR of the VPC an EKS stack creates (components/cluster/eks.ts). */
export const eksVpcCidr = "10.0.0.0/16";

export const apiAccessModes = ["public", "private"] as const;

/**
 * `fawkes:cluster.apiAccess`: how `pulumi up`, CI and people reach the API server of an EKS or
 * AKS cluster. It is required there, so no stack can create a cluster nothing can talk to.
 */
export type ApiAccess = PublicApiAccess | PrivateApiAccess;

/** A public endpoint that admits only declared ranges: EKS publicAccessCidrs, AKS authorized IP ranges. */
export interface PublicApiAccess {
    readonly mode: "public";
    /** The team's fixed egress ranges (office, VPN, static runner addresses); may be empty with deployerCidr. */
    readonly cidrs: readonly string[];
    /**
     * One /32 added for a single run: the deploy workflow sets it to its runner's address on its
     * throwaway checkout and closes it again after the run (see the README).
     */
    readonly deployerCidr?: string;
}

/** No public endpoint: `pulumi up` runs inside the VPC/VNet (a self-hosted runner or a Pulumi Deployments agent). */
export interface PrivateApiAccess {
    readonly mode: "private";
    /** Networks inside (or peered with) the VPC/VNet whose runners may reach the private endpoint on 443. */
    readonly runnerCidrs: readonly string[];
}

export interface EksClusterConfig extends ClusterBase {
    readonly provider: "eks";
    readonly region: string;
    readonly apiAccess: ApiAccess;
    /** Explicit AZs, or undefined to take the region's first three. */
    readonly availabilityZones?: readonly string[];
    /** IAM role or user ARNs given cluster-admin through access entries, beside the creator's bootstrap grant. */
    readonly admins: readonly string[];
}

export interface AksClusterConfig extends ClusterBase {
    readonly provider: "aks";
    readonly location: string;
    readonly resourceGroupName: string;
    /** Entra object ids given the AKS RBAC Cluster Admin role (Azure RBAC: ha stacks). */
    readonly admins: readonly string[];
    readonly apiAccess: ApiAccess;
    /** How kubelogin gets a token for an Entra-only cluster: never a device code. */
    readonly kubelogin: KubeloginMode;
}

/**
 * kubelogin's non-interactive logins, matching how Pulumi itself authenticates to Azure:
 * azurecli after `az login` or azure/login; workloadidentity where AZURE_FEDERATED_TOKEN_FILE
 * exists (GitHub OIDC, a pod); spn with AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.
 */
export const kubeloginModes = ["azurecli", "workloadidentity", "spn"] as const;
export type KubeloginMode = (typeof kubeloginModes)[number];

export type ClusterConfig = KindClusterConfig | EksClusterConfig | AksClusterConfig;

interface GitopsCommon {
    /** Branch (or tag or commit) of the repository the root app follows. */
    readonly targetRevision: string;
    /** Directory of the stack's tree inside the repository, e.g. platform/dev. */
    readonly path: string;
    /** How long `pulumi up` waits for every Application to be Synced and Healthy. */
    readonly syncTimeoutSeconds: number;
}

/** No fawkes:gitops.repoURL on a kind stack: a Git server in the cluster, seeded by the program. */
export interface InClusterGitSource extends GitopsCommon {
    readonly source: "in-cluster";
}

/** What kind of credential fawkes:gitops.credentials holds; the values themselves stay secret. */
export type GitCredentialKind = "token" | "ssh-key" | "github-app";

export interface RemoteGitSource extends GitopsCommon {
    readonly source: "remote";
    readonly repoURL: string;
    /** Read credentials for a private repository, as the fields of an Argo CD repository Secret. */
    readonly credentials?: { readonly kind: GitCredentialKind; readonly fields: pulumi.Output<Readonly<Record<string, string>>> };
    /** known_hosts lines Argo CD trusts besides its built-in ones (ssh URLs). */
    readonly sshKnownHosts: readonly string[];
}

export type GitopsConfig = InClusterGitSource | RemoteGitSource;

export interface PlatformConfig {
    readonly stack: string;
    readonly cluster: ClusterConfig;
    readonly domain: string;
    /** solver is http01 with local-ca (unused there), and dns01 only with fawkes:dns and a Let's Encrypt issuer. */
    readonly tls: { readonly issuer: TlsIssuer; readonly email?: string; readonly solver: AcmeSolver };
    /** Unset: nothing creates DNS records, and the stack exports the address the wildcard record must point at. */
    readonly dns?: DnsConfig;
    readonly ingress: { readonly controller: IngressController; readonly internal?: InternalExposure };
    readonly gitops: GitopsConfig;
    readonly budget: { readonly targetUtilization: number };
    /** Catalog app name → enabled. Only names the catalog knows. */
    readonly apps: Readonly<Record<string, boolean>>;
    readonly ha: boolean;
    /**
     * Token for configuring an HA Vault after its one-time init (secret config
     * `fawkes:vaultToken`). Unset until then; dev stacks use the generated root token.
     */
    readonly vaultToken?: pulumi.Output<string>;
    /** Secret `fawkes:dockerHubCredentials` (JSON `{"username", "token"}`) for the docker.io image cache of a kind stack. */
    readonly dockerHubCredentials?: pulumi.Output<string>;
    /** Things that are allowed but deserve a warning at preview. */
    readonly warnings: readonly string[];
}
