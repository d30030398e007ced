// Steady-state requests per pool as rendered: every long-running pod (Jobs, CronJobs and pods
// that run to completion left out) on the pool its node selector names, DaemonSets on every
// node they select and tolerate. The catalog's own figure (components/budget.ts poolDemand)
// is printed beside it, so a drift between the two is visible.

import type { NodePool } from "../../components/cluster/types";
import { parseCpu, parseMemory } from "../../components/quantity";
import { poolLabel } from "../../policy/lib/labels";
import type { StackAnalysis } from "./analysis";
import { effectiveResources } from "./catalog-check";
import { allContainers, type PodMaker } from "./pods";
import { podsAtOnce } from "./quota-check";

export interface PoolRequests {
    /** Millicores. */
    cpu: number;
    /** Bytes. */
    memory: number;
}

const runsToCompletion = (p: PodMaker) => p.kind === "Job" || p.kind === "CronJob" || (p.kind === "Pod" && ["Never", "OnFailure"].includes(String(p.template.spec.restartPolicy)));

function podRequests(p: PodMaker): PoolRequests {
    const sized = allContainers(p.template.spec).map(({ container, init }) => {
        const r = effectiveResources(container);
        return { init, cpu: parseCpu(String(r.requests.cpu)), memory: parseMemory(String(r.requests.memory)) };
    });
    const sum = (init: boolean, key: "cpu" | "memory") => sized.filter((c) => c.init === init).reduce((n, c) => (init ? Math.max(n, c[key]) : n + c[key]), 0);
    return { cpu: Math.max(sum(false, "cpu"), sum(true, "cpu")), memory: Math.max(sum(false, "memory"), sum(true, "memory")) };
}

/** Rendered steady-state requests per pool ("(any)" for pods no pool selector places). */
export function renderedPoolDemand(analysis: StackAnalysis, pools: readonly NodePool[]): Map<string, PoolRequests> {
    const demand = new Map<string, PoolRequests>();
    const add = (pool: string, r: PoolRequests, n: number) => {
        const before = demand.get(pool) ?? { cpu: 0, memory: 0 };
        demand.set(pool, { cpu: before.cpu + r.cpu * n, memory: before.memory + r.memory * n });
    };
    for (const run of analysis.apps) {
        for (const p of [...run.rendered, ...run.operatorMade].filter((m) => !runsToCompletion(m))) {
            const r = podRequests(p);
            const selected = p.template.spec.nodeSelector?.[poolLabel];
            if (p.kind === "DaemonSet") {
                for (const pool of pools) {
                    add(pool.name, r, podsAtOnce(p, [pool]));
                }
            } else {
                add(selected ?? "(any)", r, p.replicas);
            }
        }
    }
    return demand;
}
