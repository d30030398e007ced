// Entry point of the Fawkes platform program: config → platform → stack outputs.

import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./components/config";
import { placeholderProblems } from "./policy/lib/placeholders";
import { rootRepoURL } from "./components/gitops/git-source";
import { buildPlatform } from "./components/platform";

const config = loadConfig();
// The shipped example values still run (previews, mocked tests); a deploy stops on them in the policy pack.
const declaredApiAccess = config.cluster.provider === "kind" ? undefined : config.cluster.apiAccess;
for (const problem of placeholderProblems({
    domain: config.domain,
    acmeEmail: config.tls.email,
    repoURL: config.gitops.source === "remote" ? config.gitops.repoURL : undefined,
    apiCidrs: declaredApiAccess?.mode === "public" ? declaredApiAccess.cidrs : [],
})) {
    void pulumi.log.warn(`${problem} (policy no-placeholder-values stops a deploy with it)`);
}
const platform = buildPlatform(config);

export const clusterProvider = config.cluster.provider;
export const clusterName = platform.cluster.clusterName;
export const kubernetesVersion = config.cluster.kubernetesVersion;
/** Admin kubeconfig (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
export const kubeconfig = platform.cluster.kubeconfig;
/** How this stack reaches its API server: on eks/aks the mode, the ranges it admits and the network a runner joins to go private; kind listens on this machine. */
export const apiAccess = platform.cluster.apiReach ?? { mode: "local" };
export const nodePools = platform.cluster.pools.map((p) => ({ name: p.name, role: p.role, count: p.count, cpu: p.cpu, memoryGiB: p.memoryGiB, instanceType: p.instanceType }));
export const domain = config.domain;
export const ha = config.ha;
/** The stack's own utilisation target; the policy pack applies the stricter of it and its own. */
export const budgetTargetUtilization = config.budget.targetUtilization;
export const ingressController = config.ingress.controller;
export const urls = platform.urls;
/** Every login, app → { url, username, password } (secret): `pulumi stack output credentials --show-secrets`. */
export const credentials = platform.credentials;
/** Where Argo CD syncs the platform from, and the revision it was told to sync. */
export const gitops = { source: config.gitops.source, repoURL: rootRepoURL(config), path: config.gitops.path, revision: platform.gitRevision };
/** The ClusterIssuer and IngressClass apps use, how Let's Encrypt challenges are answered, and (local-ca only) the CA to trust. */
export const tls = {
    clusterIssuer: platform.clusterIssuer,
    ingressClassName: platform.ingressClassName,
    acmeSolver: config.tls.issuer === "local-ca" ? undefined : config.tls.solver,
    localCaCertificate: platform.caCertificate,
};
/**
 * DNS: `managedBy: external-dns` (fawkes:dns) with the zone and owner id it writes under, or
 * `managedBy: you` with the wildcard record to create and the load balancer address it points at.
 */
export const dns = platform.dns;
/** Vault's address and, in dev mode, its root token: the whole output is then secret. */
export const vault = { address: platform.urls.vault, rootToken: platform.vaultRootToken };
