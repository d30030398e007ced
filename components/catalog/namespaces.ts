// The namespaces of one catalog app. An app owns its own namespace (its Application's
// destination, its Secrets, its Ingress), where its workloads run unless one names another;
// the namespaces its workloads name (a node agent moved out, so its host access does not lower
// the Pod Security level of the app's other pods: kube-prometheus-stack's node-exporter); and
// the chart's extra namespaces, which hold no pods. The tenancy layer creates each, the app's
// project deploys into each, and the PSA labels, policy exceptions and quotas follow the
// workloads into theirs.

import type { CatalogApp, Workload } from "./types";

export interface AppNamespace {
    readonly name: string;
    /** The app's own namespace: its Application's destination. */
    readonly primary: boolean;
    /** The app's workloads whose pods run there. */
    readonly workloads: readonly Workload[];
}

/** The namespace a workload's pods run in. */
export const workloadNamespace = (app: Pick<CatalogApp, "namespace">, workload: Workload): string => workload.namespace ?? app.namespace;

/** Every namespace of the app, its own first, each with the workloads that run there. */
export function appNamespaces(app: CatalogApp): AppNamespace[] {
    const names = [app.namespace, ...app.workloads.flatMap((w) => (w.namespace === undefined ? [] : [w.namespace])), ...(app.extraNamespaces ?? [])];
    return [...new Set(names)].map((name) => ({ name, primary: name === app.namespace, workloads: app.workloads.filter((w) => workloadNamespace(app, w) === name) }));
}

/** The names of the app's namespaces, its own first. */
export const namespaceNames = (app: CatalogApp): string[] => appNamespaces(app).map((n) => n.name);

/** The namespace the app's workload `name` runs in; undefined for a name that is none of its workloads. */
export function namespaceOfWorkload(app: CatalogApp, name: string): string | undefined {
    const found = app.workloads.find((w) => w.name === name);
    return found === undefined ? undefined : workloadNamespace(app, found);
}
