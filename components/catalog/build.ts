// Helpers that keep catalog entries short: resource pairs, containers, single-container
// workloads, the defaults Argo CD-run apps share, and the common ingress values shape.

import type { AppValuesContext, Container, GitOpsApp, Resources, Workload, WorkloadKind } from "./types";

export const r = (cpu: string, memory: string): Resources => ({ cpu, memory });

export function container(name: string, resourcesPath: string | undefined, requests: Resources, limits: Resources, init = false): Container {
    const base = resourcesPath === undefined ? { name, requests, limits } : { name, resourcesPath, requests, limits };
    return init ? { ...base, init } : base;
}

/** The rendered object's name and its one container's name, or one name for both. */
export type WorkloadNames = string | { readonly object: string; readonly container: string };

/** A workload whose pods run one container, the common case; `paths` are dotted values paths. */
export function workload(
    names: WorkloadNames,
    kind: WorkloadKind,
    replicas: number,
    paths: { resources?: string; replicas?: string; placement?: string },
    requests: Resources,
    limits: Resources,
): Workload {
    const [name, containerName] = typeof names === "string" ? [names, names] : [names.object, names.container];
    return { name, kind, replicas, replicasPath: paths.replicas, placementPath: paths.placement, containers: [container(containerName, paths.resources, requests, limits)] };
}

/**
 * A single-container workload whose chart values sit under one key, the way most charts lay
 * out their components: resources at `<key>.resources`, replicas at `<key>.<replicasField>`
 * (none where the chart fixes the count) and nodeSelector/tolerations under `<key>`.
 */
export function keyedWorkload(
    key: string,
    names: WorkloadNames,
    kind: WorkloadKind,
    replicas: number,
    requests: Resources,
    limits: Resources,
    replicasField: string | null = "replicas",
): Workload {
    return workload(names, kind, replicas, { resources: `${key}.resources`, replicas: replicasField === null ? undefined : `${key}.${replicasField}`, placement: key }, requests, limits);
}

/** Fields most Argo CD-run apps share; an entry states only where it differs. */
export type AppDefaults = "wave" | "dependsOn" | "enabledByDefault" | "serverSideApply" | "secrets" | "policyExceptions";

export function gitopsApp(spec: Omit<GitOpsApp, AppDefaults> & Partial<Pick<GitOpsApp, AppDefaults>>): GitOpsApp {
    return { wave: 0, dependsOn: [], enabledByDefault: true, serverSideApply: false, secrets: [], policyExceptions: [], ...spec };
}

/** The annotation that has cert-manager issue an Ingress's certificate from the cluster issuer. */
export const issuerAnnotations = (ctx: AppValuesContext) => ({ "cert-manager.io/cluster-issuer": ctx.clusterIssuer });

/** Ingress values in the shape most charts use: class, TLS from the cluster issuer, one host. */
export function ingressFor(ctx: AppValuesContext, host: string) {
    return {
        enabled: true,
        ingressClassName: ctx.ingressClassName,
        annotations: issuerAnnotations(ctx),
        tls: [{ secretName: `${host}-tls`, hosts: [`${host}.${ctx.domain}`] }],
    };
}
