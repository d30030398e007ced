// Where Argo CD's root app reads the stack's tree: the in-cluster Git server of a local stack,
// or the remote repository of fawkes:gitops.repoURL.

import type { PlatformConfig } from "../config-types";

/** The in-cluster server's admin user, which owns the seeded repository (Gitea refuses "admin"). */
export const gitServerAdmin = "fawkes";

/** The repository the program seeds on the in-cluster server. */
export const seededRepository = { owner: gitServerAdmin, name: "platform" } as const;

/** The in-cluster server's Kubernetes Service (the chart names it `<fullname>-http`) and port. */
export const gitServerService = { name: "git-http", namespace: "git", port: 3000 } as const;

/**
 * Argo CD reads the in-cluster server over the cluster network: plain HTTP inside the
 * cluster, no certificate to trust, no dependency on the ingress or on DNS outside.
 */
export const inClusterRepoURL = `http://${gitServerService.name}.${gitServerService.namespace}.svc.cluster.local:${gitServerService.port}/${seededRepository.owner}/${seededRepository.name}.git`;

/** The URL Argo CD syncs the root app from. */
export function rootRepoURL(config: Pick<PlatformConfig, "gitops">): string {
    return config.gitops.source === "remote" ? config.gitops.repoURL : inClusterRepoURL;
}
