// The catalog must equal what renders: every object that makes pods, in the namespace the
// catalog gives it, each of its containers with the same requests and limits, the same
// replica count and pool placement, and every catalog workload rendered. Then the budget, the
// quotas and the policy pack count what runs.

import type { CatalogApp, Container, Workload } from "../../components/catalog";
import { workloadNamespace } from "../../components/catalog/namespaces";
import { poolLabel } from "../../policy/lib/labels";
import { containerDefaults } from "../../components/budget";
import { parseCpu, parseMemory } from "../../components/quantity";
import { allContainers, type ContainerLike, type PodMaker } from "./pods";

/** Rendered kinds the catalog's workload kinds stand for. */
const sameKind = (w: Workload, p: PodMaker) => w.kind === p.kind;

function quantityDiffers(kind: "cpu" | "memory", declared: string, rendered: unknown): boolean {
    if (rendered === undefined) {
        return true;
    }
    const parse = kind === "cpu" ? parseCpu : parseMemory;
    try {
        return parse(declared) !== parse(typeof rendered === "number" ? String(rendered) : (rendered as string));
    } catch {
        return true;
    }
}

/**
 * What a container gets once its pod is admitted: its own requests and limits, or the
 * namespace's LimitRange defaults where it sets none (a request defaults to the limit when
 * only that is set, as the LimitRanger plugin does).
 */
export function effectiveResources(c: ContainerLike): { requests: Record<string, unknown>; limits: Record<string, unknown> } {
    const own = c.resources ?? {};
    const pick = (kind: "cpu" | "memory") => ({
        request: own.requests?.[kind] ?? own.limits?.[kind] ?? containerDefaults.defaultRequest[kind],
        limit: own.limits?.[kind] ?? containerDefaults.default[kind],
    });
    const cpu = pick("cpu");
    const memory = pick("memory");
    return { requests: { cpu: cpu.request, memory: memory.request }, limits: { cpu: cpu.limit, memory: memory.limit } };
}

function compareContainer(where: string, declared: Container, rendered: ContainerLike): string[] {
    const problems: string[] = [];
    const effective = effectiveResources(rendered);
    for (const side of ["requests", "limits"] as const) {
        for (const kind of ["cpu", "memory"] as const) {
            const got = effective[side][kind];
            if (quantityDiffers(kind, declared[side][kind], got)) {
                problems.push(`${where}: ${side}.${kind} renders as ${JSON.stringify(got)}, the catalog says ${declared[side][kind]}`);
            }
        }
    }
    return problems;
}

function compareWorkload(app: CatalogApp, w: Workload, p: PodMaker): string[] {
    const where = `${p.kind} ${p.namespace}/${p.name}`;
    const problems: string[] = [];
    if (p.namespace !== workloadNamespace(app, w)) {
        problems.push(`${where}: renders in namespace ${p.namespace}, the catalog says ${workloadNamespace(app, w)}`);
    }
    if (p.kind !== "DaemonSet" && w.replicas !== p.replicas) {
        problems.push(`${where}: renders ${p.replicas} replica(s), the catalog says ${w.replicas}`);
    }
    const rendered = allContainers(p.template.spec);
    for (const { container, init } of rendered) {
        const declared = w.containers.find((c) => c.name === container.name && (c.init ?? false) === init);
        if (declared === undefined) {
            problems.push(`${where}: ${init ? "init container" : "container"} ${container.name} is not in the catalog entry ${app.name}/${w.name}`);
        } else {
            problems.push(...compareContainer(`${where} ${init ? "init container" : "container"} ${container.name}`, declared, container));
        }
    }
    for (const c of w.containers) {
        if (!rendered.some((r) => r.container.name === c.name && r.init === (c.init ?? false))) {
            problems.push(`${where}: the catalog's ${c.init ? "init container" : "container"} ${c.name} does not render`);
        }
    }
    const selected = p.template.spec.nodeSelector?.[poolLabel];
    if (w.kind === "DaemonSet" && w.everyNode) {
        if (selected !== undefined) {
            problems.push(`${where}: runs on every node in the catalog but renders a ${poolLabel}=${selected} node selector`);
        }
    } else if (selected !== (w.pool ?? app.pool)) {
        problems.push(`${where}: renders on ${selected === undefined ? "any node (no pool selector)" : `pool ${selected}`}, the catalog says pool ${w.pool ?? app.pool}`);
    }
    return problems;
}

function compareSet(app: CatalogApp, workloads: readonly Workload[], pods: readonly PodMaker[], made: string, notMade: string): string[] {
    const problems: string[] = [];
    for (const p of pods) {
        const w = workloads.find((c) => c.name === p.name && sameKind(c, p));
        if (w === undefined) {
            problems.push(`${p.kind} ${p.namespace}/${p.name}${p.hooks.length > 0 ? ` (hook ${p.hooks.join(",")})` : ""} ${made} but is not a workload of the catalog entry ${app.name}`);
        } else {
            problems.push(...compareWorkload(app, w, p));
        }
    }
    for (const w of workloads) {
        if (!pods.some((p) => p.name === w.name && sameKind(w, p))) {
            problems.push(`the catalog's ${w.kind} ${w.name} of ${app.name} ${notMade}`);
        }
    }
    return problems;
}

/**
 * Differences between an app's catalog entry and what runs for it: the pod makers its chart
 * (and its setup Jobs) render, against its chart workloads; the pods its operators create
 * (operator-pods.ts), against its `createdBy` workloads.
 */
export function compareCatalog(app: CatalogApp, rendered: readonly PodMaker[], operatorMade: readonly PodMaker[] = []): string[] {
    return [
        ...compareSet(app, app.workloads.filter((w) => w.createdBy === undefined), rendered, "renders", "does not render"),
        ...compareSet(app, app.workloads.filter((w) => w.createdBy !== undefined), operatorMade, "is created by an operator", "is not created by any operator the render configures"),
    ];
}
