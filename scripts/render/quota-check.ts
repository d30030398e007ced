// Each namespace's ResourceQuota (as the program registers it) must hold what runs there at
// once during an install, namespace by namespace where an app has more than one: every rendered pod (hook Jobs included), the pods operators start,
// and one surge pod of the largest Deployment that rolls. Pods are sized as admitted, with the
// LimitRange defaults for containers that set nothing.

import { namespaceNames } from "../../components/catalog/namespaces";
import type { NodePool } from "../../components/cluster/types";
import { parseCpu, parseMemory } from "../../components/quantity";
import { poolLabel } from "../../policy/lib/labels";
import type { AppRun } from "./analysis";
import { effectiveResources } from "./catalog-check";
import type { K8sObject } from "./helm-template";
import type { PodMaker } from "./pods";

interface Usage {
    cpuRequests: number;
    memoryRequests: number;
    cpuLimits: number;
    memoryLimits: number;
    pods: number;
}

const none = (): Usage => ({ cpuRequests: 0, memoryRequests: 0, cpuLimits: 0, memoryLimits: 0, pods: 0 });

const cpu = (v: unknown) => parseCpu(typeof v === "number" ? String(v) : (v as string));
const memory = (v: unknown) => parseMemory(typeof v === "number" ? String(v) : (v as string));

/** One pod as admitted: the larger of its containers' sum and its largest init container, per resource. */
function podUsage(p: PodMaker): Usage {
    const sized = (list: readonly { resources?: unknown }[] | undefined) =>
        (list ?? []).map((c) => effectiveResources(c as Parameters<typeof effectiveResources>[0])).map((r) => ({
            cpuRequests: cpu(r.requests.cpu),
            memoryRequests: memory(r.requests.memory),
            cpuLimits: cpu(r.limits.cpu),
            memoryLimits: memory(r.limits.memory),
        }));
    const main = sized(p.template.spec.containers);
    const init = sized(p.template.spec.initContainers);
    const usage = none();
    for (const key of ["cpuRequests", "memoryRequests", "cpuLimits", "memoryLimits"] as const) {
        usage[key] = Math.max(
            main.reduce((n, c) => n + c[key], 0),
            init.reduce((n, c) => Math.max(n, c[key]), 0),
        );
    }
    usage.pods = 1;
    return usage;
}

function tolerates(p: PodMaker, pool: NodePool): boolean {
    const tolerations = (p.template.spec.tolerations ?? []) as { key?: string; operator?: string; effect?: string }[];
    return pool.taints.every((t) => tolerations.some((tol) => (tol.key === undefined && tol.operator === "Exists") || (tol.key === t.key && (tol.effect === undefined || tol.effect === t.effect))));
}

/** Pods a maker runs at once: replicas, or for a DaemonSet one per node it selects and tolerates. */
export function podsAtOnce(p: PodMaker, pools: readonly NodePool[]): number {
    if (p.kind !== "DaemonSet") {
        return p.replicas;
    }
    const selected = p.template.spec.nodeSelector?.[poolLabel];
    return pools.filter((pool) => (selected === undefined || pool.name === selected) && tolerates(p, pool)).reduce((n, pool) => n + pool.count, 0);
}

/** Whether a Deployment surges a new pod during a rolling update (the default strategy, maxSurge 25%, rounded up). */
function surges(p: PodMaker): boolean {
    const strategy = (p.object.spec as { strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } } }).strategy;
    if (p.kind !== "Deployment" || strategy?.type === "Recreate") {
        return false;
    }
    const maxSurge = strategy?.rollingUpdate?.maxSurge;
    return !(maxSurge === 0 || maxSurge === "0" || maxSurge === "0%");
}

/** What `namespace` must hold at once for `run` (every namespace of the app, unless told). */
export function namespaceUsage(run: AppRun, pools: readonly NodePool[], namespace?: string): Usage {
    const total = none();
    const makers = [...run.rendered, ...run.operatorMade].filter((p) => namespace === undefined || p.namespace === namespace);
    for (const p of makers) {
        const one = podUsage(p);
        const n = podsAtOnce(p, pools);
        for (const key of Object.keys(total) as (keyof Usage)[]) {
            total[key] += one[key] * n;
        }
    }
    const surge = makers.filter(surges).map(podUsage);
    for (const key of Object.keys(total) as (keyof Usage)[]) {
        total[key] += surge.reduce((n, u) => Math.max(n, u[key]), 0);
    }
    return total;
}

/**
 * Where the rendered pods of an app exceed the ResourceQuota of the namespace they run in: each
 * of the app's namespaces (its own, and one a node agent of it runs in) is checked on its own.
 */
export function quotaProblems(run: AppRun, pools: readonly NodePool[], quotas: readonly K8sObject[]): string[] {
    const namespaces = [...new Set([...namespaceNames(run.app), ...[...run.rendered, ...run.operatorMade].map((p) => p.namespace)])];
    return namespaces.flatMap((namespace) => namespaceQuotaProblems(run, pools, quotas, namespace));
}

function namespaceQuotaProblems(run: AppRun, pools: readonly NodePool[], quotas: readonly K8sObject[], namespace: string): string[] {
    const quota = quotas.find((q) => q.kind === "ResourceQuota" && q.metadata.namespace === namespace);
    if (quota === undefined) {
        return [`namespace ${namespace} has no ResourceQuota`];
    }
    const hard = (quota.spec as { hard: Record<string, string> }).hard;
    const used = namespaceUsage(run, pools, namespace);
    const checks: [string, number, number, (n: number) => string][] = [
        ["requests.cpu", used.cpuRequests, cpu(hard["requests.cpu"]), (n) => `${n}m`],
        ["requests.memory", used.memoryRequests, memory(hard["requests.memory"]), (n) => `${Math.ceil(n / 2 ** 20)}Mi`],
        ["limits.cpu", used.cpuLimits, cpu(hard["limits.cpu"]), (n) => `${n}m`],
        ["limits.memory", used.memoryLimits, memory(hard["limits.memory"]), (n) => `${Math.ceil(n / 2 ** 20)}Mi`],
        ["pods", used.pods, Number(hard.pods), String],
    ];
    return checks
        .filter(([, need, allowed]) => need > allowed)
        .map(([field, need, allowed, show]) => `namespace ${namespace}: its pods need ${field} ${show(need)} at once, the quota allows ${show(allowed)}`);
}
