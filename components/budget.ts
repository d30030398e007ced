// Footprints derived from the catalog: per pod, per app, per namespace quota, per pool.
// Pure functions over catalog data, shared by the tenancy layer, the reports and the policy.

import type { CatalogApp, Container, Workload } from "./catalog";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "./quantity";

/** CPU in millicores, memory in bytes. */
export interface Amount {
    readonly cpu: number;
    readonly memory: number;
}

export interface Footprint {
    readonly requests: Amount;
    readonly limits: Amount;
}

const zero: Amount = { cpu: 0, memory: 0 };
const add = (a: Amount, b: Amount): Amount => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const max = (a: Amount, b: Amount): Amount => ({ cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) });
const times = (a: Amount, n: number): Amount => ({ cpu: a.cpu * n, memory: a.memory * n });
const amount = (r: { cpu: string; memory: string }): Amount => ({ cpu: parseCpu(r.cpu), memory: parseMemory(r.memory) });

function sumContainers(containers: readonly Container[], pick: (c: Container) => Amount): Amount {
    const running = containers.filter((c) => !c.init).map(pick).reduce(add, zero);
    const init = containers.filter((c) => c.init).map(pick).reduce(max, zero);
    // Kubernetes sizes a pod by the larger of its app containers' sum and its largest init container.
    return max(running, init);
}

/** What one pod of the workload asks for and may use. */
export function podFootprint(workload: Workload): Footprint {
    return {
        requests: sumContainers(workload.containers, (c) => amount(c.requests)),
        limits: sumContainers(workload.containers, (c) => amount(c.limits)),
    };
}

/** Nodes of an app's pool and of the whole cluster: DaemonSets run one pod per node. */
export interface NodeCounts {
    readonly pool: number;
    readonly cluster: number;
}

/** Number of pods a workload runs. */
export function podCount(workload: Workload, nodes: NodeCounts): number {
    if (workload.kind !== "DaemonSet") {
        return workload.replicas;
    }
    return workload.replicas * (workload.everyNode ? nodes.cluster : nodes.pool);
}

function total(workloads: readonly Workload[], nodes: NodeCounts): Footprint {
    return workloads
        .map((w) => {
            const pod = podFootprint(w);
            const n = podCount(w, nodes);
            return { requests: times(pod.requests, n), limits: times(pod.limits, n) };
        })
        .reduce((a, b) => ({ requests: add(a.requests, b.requests), limits: add(a.limits, b.limits) }), { requests: zero, limits: zero });
}

/** Pods that run to completion or come and go: in the quota, not in the steady state. */
export const isTransient = (w: Workload): boolean => w.kind === "Job" || w.kind === "CronJob" || w.transient === true;

/** Steady-state footprint of an app: every long-running pod (hook Jobs and transient pods excluded). */
export function appFootprint(app: CatalogApp, nodes: NodeCounts): Footprint {
    return total(
        app.workloads.filter((w) => !isTransient(w)),
        nodes,
    );
}

export interface QuotaSpec {
    readonly requests: Amount;
    readonly limits: Amount;
    readonly pods: number;
}

/** LimitRange defaults for containers a chart leaves without resources: small, so they fit the quota's headroom. */
export const containerDefaults = {
    defaultRequest: { cpu: "50m", memory: "64Mi" },
    default: { cpu: "250m", memory: "256Mi" },
} as const;

/**
 * The ResourceQuota of an app's namespace:
 *   every pod the app runs, long-running and hook Jobs alike (a Helm install runs both),
 * + headroom for one more pod: the app's largest Deployment pod, so a rolling update's
 *   surge pod fits; an app without Deployments (StatefulSets replace pods without surging,
 *   DaemonSets default to maxSurge 0, Jobs do not roll) gets room for one container at the
 *   LimitRange defaults instead, for a container the catalog might have missed,
 * for requests and limits of CPU and memory, and for the pod count.
 */
export function namespaceQuota(app: CatalogApp, nodes: NodeCounts): QuotaSpec {
    const all = total(app.workloads, nodes);
    const fallback: Footprint = { requests: amount(containerDefaults.defaultRequest), limits: amount(containerDefaults.default) };
    const headroom = app.workloads
        .filter((w) => w.kind === "Deployment")
        .map(podFootprint)
        .reduce((a, b) => ({ requests: max(a.requests, b.requests), limits: max(a.limits, b.limits) }), fallback);
    const pods = app.workloads.reduce((n, w) => n + podCount(w, nodes), 0);
    return { requests: add(all.requests, headroom.requests), limits: add(all.limits, headroom.limits), pods: pods + 1 };
}

/** The quota as ResourceQuota `spec.hard`. */
export function quotaHard(quota: QuotaSpec): Record<string, string> {
    return {
        "requests.cpu": formatCpu(quota.requests.cpu),
        "requests.memory": formatMemory(quota.requests.memory),
        "limits.cpu": formatCpu(quota.limits.cpu),
        "limits.memory": formatMemory(quota.limits.memory),
        pods: String(quota.pods),
    };
}

/**
 * Steady-state requests and limits per pool, each pod on the pool it runs on: its workload's
 * pool (or its app's), and a node agent's pods on every pool, one per node.
 */
export function poolDemand(apps: readonly CatalogApp[], pools: readonly { readonly name: string; readonly count: number }[]): Map<string, Footprint> {
    const demand = new Map<string, Footprint>();
    const place = (pool: string, pod: Footprint, n: number) => {
        const before = demand.get(pool) ?? { requests: zero, limits: zero };
        demand.set(pool, { requests: add(before.requests, times(pod.requests, n)), limits: add(before.limits, times(pod.limits, n)) });
    };
    for (const app of apps) {
        for (const w of app.workloads.filter((x) => !isTransient(x))) {
            const pod = podFootprint(w);
            const home = w.pool ?? app.pool;
            if (w.kind === "DaemonSet" && w.everyNode) {
                pools.forEach((p) => place(p.name, pod, w.replicas * p.count));
            } else {
                place(home, pod, w.kind === "DaemonSet" ? w.replicas * (pools.find((p) => p.name === home)?.count ?? 0) : w.replicas);
            }
        }
    }
    return demand;
}
