// The resource budget of a stack, read from the resources the stack registers: node pools
// (capacity → allocatable) from the cluster resources, demand from the ResourceQuotas of
// the platform's namespaces and from workloads the program creates directly.
//
// Pure functions over plain {type, props} records, so the policy, the `npm run budget`
// report and the tests share one implementation.

import { parse } from "yaml";
import { allocatable, kindControlPlaneOverhead, type ReservationModel } from "./allocatable";
import { lookupInstanceType } from "./instance-types";
import { capacityCpuLabel, capacityMemoryLabel, partOfLabel, poolLabel } from "./labels";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "./quantity";

/** The part of a resource the budget reads (CrossGuard's PolicyResource fits it). */
export interface StackResource {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
}

export interface Amount {
    readonly cpu: number;
    readonly memory: number;
}

export interface Pool {
    readonly name: string;
    readonly nodes: number;
    readonly cpuPerNode: number;
    readonly memoryGiBPerNode: number;
    /** Allocatable of the whole pool, after reservations (and kind's control-plane pods). */
    readonly allocatable: Amount;
    /** Where the capacity came from, for the report. */
    readonly source: string;
}

export interface PoolRow {
    readonly pool: string;
    readonly requests: Amount;
    readonly limits: Amount;
    readonly allocatable: Amount;
    /** requests / allocatable, 0..n. */
    readonly share: Amount;
}

export interface BudgetReport {
    readonly targetUtilization: number;
    readonly reservationModel: ReservationModel;
    readonly pools: readonly Pool[];
    readonly rows: readonly PoolRow[];
    readonly total: PoolRow;
    /** Pools (or "total") whose requests exceed the budget, with the dimension. */
    readonly overBudget: readonly string[];
    /** What makes the budget unknowable: pools of unknown capacity, requests on missing pools. */
    readonly capacityProblems: readonly string[];
    /** Platform namespaces without a (complete) quota or pool label. */
    readonly tenancyProblems: readonly string[];
}

export interface BudgetOptions {
    readonly targetUtilization: number;
    readonly reservationModel: ReservationModel;
}

const zero: Amount = { cpu: 0, memory: 0 };
const add = (a: Amount, b: Amount): Amount => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const times = (a: Amount, n: number): Amount => ({ cpu: a.cpu * n, memory: a.memory * n });

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A quantity or name as text: strings as they are, numbers printed, anything else the fallback. */
const text = (v: unknown, fallback: string): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback);

function poolFromNodes(name: string, nodes: number, labels: Obj, instanceType: string | undefined, cloud: "eks" | "aks" | undefined, model: ReservationModel, problems: string[]): Pool | undefined {
    const known = cloud && instanceType ? lookupInstanceType(cloud, instanceType) : undefined;
    const cpu = known?.cpu ?? Number(labels[capacityCpuLabel]);
    const memoryGiB = known?.memoryGiB ?? Number(labels[capacityMemoryLabel]);
    if (!(cpu > 0) || !(memoryGiB > 0)) {
        problems.push(`pool ${name}: capacity unknown (instance type ${instanceType ?? "none"} is not in the table and the nodes carry no ${capacityCpuLabel}/${capacityMemoryLabel} labels)`);
        return undefined;
    }
    const perNode = allocatable(cpu, memoryGiB, model);
    const source = known ? `${instanceType}` : "declared";
    return { name, nodes, cpuPerNode: cpu, memoryGiBPerNode: memoryGiB, allocatable: times(perNode, nodes), source };
}

/** Node pools of the stack's cluster: kind's node config, EKS node groups or AKS agent pools. */
export function poolsOf(resources: readonly StackResource[], model: ReservationModel, problems: string[]): Pool[] {
    const pools: Pool[] = [];
    for (const r of resources) {
        if (r.type === "command:local:Command") {
            const kindConfig = str(obj(r.props.environment).KIND_CONFIG);
            if (kindConfig === undefined) {
                continue;
            }
            const nodes = (obj(parse(kindConfig)).nodes ?? []) as { role?: string; labels?: Obj }[];
            const byPool = new Map<string, { count: number; labels: Obj; controlPlane: boolean }>();
            for (const node of nodes) {
                const labels = node.labels ?? {};
                const name = str(labels[poolLabel]) ?? node.role ?? "worker";
                const entry = byPool.get(name) ?? { count: 0, labels, controlPlane: node.role === "control-plane" };
                entry.count++;
                byPool.set(name, entry);
            }
            for (const [name, entry] of byPool) {
                const pool = poolFromNodes(name, entry.count, entry.labels, undefined, undefined, model, problems);
                if (pool) {
                    // kind's control plane also runs the Kubernetes control plane itself.
                    pools.push(entry.controlPlane ? { ...pool, allocatable: add(pool.allocatable, times(kindControlPlaneOverhead, -entry.count)), source: "declared, minus control-plane pods" } : pool);
                }
            }
        } else if (r.type === "aws:eks/nodeGroup:NodeGroup") {
            const labels = obj(r.props.labels);
            const nodes = Number(obj(r.props.scalingConfig).desiredSize);
            const instanceType = str((r.props.instanceTypes as unknown[] | undefined)?.[0]);
            const pool = poolFromNodes(str(labels[poolLabel]) ?? str(r.props.nodeGroupName) ?? r.name, nodes, labels, instanceType, "eks", model, problems);
            if (pool) {
                pools.push(pool);
            }
        } else if (r.type === "azure-native:containerservice:ManagedCluster") {
            for (const profile of (r.props.agentPoolProfiles ?? []) as Obj[]) {
                const labels = obj(profile.nodeLabels);
                const pool = poolFromNodes(str(labels[poolLabel]) ?? String(profile.name), Number(profile.count), labels, str(profile.vmSize), "aks", model, problems);
                if (pool) {
                    pools.push(pool);
                }
            }
        }
    }
    return pools;
}

const hardAmount = (hard: Obj, kind: "requests" | "limits"): Amount => ({
    cpu: parseCpu(text(hard[`${kind}.cpu`], "0")),
    memory: parseMemory(text(hard[`${kind}.memory`], "0")),
});

interface Container {
    resources?: { requests?: Obj; limits?: Obj };
}

function podAmount(spec: Obj, kind: "requests" | "limits"): Amount {
    return ((spec.containers ?? []) as Container[]).reduce(
        (sum, c) => add(sum, { cpu: parseCpu(text(c.resources?.[kind]?.cpu, "0")), memory: parseMemory(text(c.resources?.[kind]?.memory, "0")) }),
        zero,
    );
}

const workloadTypes: Readonly<Record<string, "replicas" | "perNode" | "single">> = {
    "kubernetes:apps/v1:Deployment": "replicas",
    "kubernetes:apps/v1:StatefulSet": "replicas",
    "kubernetes:apps/v1:DaemonSet": "perNode",
    "kubernetes:core/v1:Pod": "single",
};

/** Requests and limits per pool: quotas of the platform's namespaces, plus workloads outside any quota. */
export function demandOf(resources: readonly StackResource[], pools: readonly Pool[], problems: string[]): Map<string, { requests: Amount; limits: Amount }> {
    const demand = new Map<string, { requests: Amount; limits: Amount }>();
    const charge = (pool: string, requests: Amount, limits: Amount) => {
        const before = demand.get(pool) ?? { requests: zero, limits: zero };
        demand.set(pool, { requests: add(before.requests, requests), limits: add(before.limits, limits) });
    };
    const namespaces = new Map<string, Obj>();
    for (const r of resources.filter((x) => x.type === "kubernetes:core/v1:Namespace")) {
        const meta = obj(r.props.metadata);
        namespaces.set(String(meta.name), obj(meta.labels));
    }
    const quotas = new Map<string, Obj>();
    for (const r of resources.filter((x) => x.type === "kubernetes:core/v1:ResourceQuota")) {
        quotas.set(String(obj(r.props.metadata).namespace), obj(obj(r.props.spec).hard));
    }

    for (const [ns, labels] of namespaces) {
        if (labels[partOfLabel.key] !== partOfLabel.value) {
            continue;
        }
        const hard = quotas.get(ns);
        const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((k) => hard?.[k] === undefined);
        if (hard === undefined) {
            problems.push(`namespace ${ns} belongs to the platform but has no ResourceQuota`);
            continue;
        }
        if (missing.length > 0) {
            problems.push(`namespace ${ns}: its ResourceQuota sets no ${missing.join(", ")}`);
        }
        const pool = str(labels[poolLabel]);
        if (pool === undefined) {
            problems.push(`namespace ${ns} has no ${poolLabel} label, so its quota cannot be charged to a pool`);
            continue;
        }
        charge(pool, hardAmount(hard, "requests"), hardAmount(hard, "limits"));
    }

    for (const r of resources) {
        const counting = workloadTypes[r.type];
        if (counting === undefined) {
            continue;
        }
        const meta = obj(r.props.metadata);
        if (quotas.has(text(meta.namespace, "default"))) {
            continue; // bounded by, and already counted in, its namespace's quota
        }
        const podSpec = r.type === "kubernetes:core/v1:Pod" ? obj(r.props.spec) : obj(obj(obj(r.props.spec).template).spec);
        const pool = str(obj(podSpec.nodeSelector)[poolLabel]);
        const targets = pool ? pools.filter((p) => p.name === pool) : pools;
        const nodes = targets.reduce((n, p) => n + p.nodes, 0);
        const count = counting === "replicas" ? Number(obj(r.props.spec).replicas ?? 1) : counting === "perNode" ? nodes : 1;
        const target = pool ?? "(any pool)";
        charge(target, times(podAmount(podSpec, "requests"), count), times(podAmount(podSpec, "limits"), count));
    }
    return demand;
}

const share = (requests: Amount, capacity: Amount): Amount => ({
    cpu: capacity.cpu > 0 ? requests.cpu / capacity.cpu : Infinity,
    memory: capacity.memory > 0 ? requests.memory / capacity.memory : Infinity,
});

/** The budget of a stack: per pool and in total, with what is over the target. */
export function budgetReport(resources: readonly StackResource[], options: BudgetOptions): BudgetReport {
    const problems: string[] = [];
    const tenancyProblems: string[] = [];
    const pools = poolsOf(resources, options.reservationModel, problems);
    if (pools.length === 0) {
        problems.push("no node pools found among the stack's resources (kind node config, EKS node groups or AKS agent pools)");
    }
    const demand = demandOf(resources, pools, tenancyProblems);
    const rows: PoolRow[] = pools.map((p) => {
        const d = demand.get(p.name) ?? { requests: zero, limits: zero };
        return { pool: p.name, requests: d.requests, limits: d.limits, allocatable: p.allocatable, share: share(d.requests, p.allocatable) };
    });
    for (const [pool, d] of demand) {
        if (!pools.some((p) => p.name === pool) && pool !== "(any pool)") {
            problems.push(`requests are placed on pool ${pool}, which the cluster does not have`);
            rows.push({ pool, requests: d.requests, limits: d.limits, allocatable: zero, share: share(d.requests, zero) });
        }
    }
    const all = [...demand.values()].reduce((a, d) => ({ requests: add(a.requests, d.requests), limits: add(a.limits, d.limits) }), { requests: zero, limits: zero });
    const capacity = pools.reduce((a, p) => add(a, p.allocatable), zero);
    const total: PoolRow = { pool: "total", requests: all.requests, limits: all.limits, allocatable: capacity, share: share(all.requests, capacity) };

    const overBudget: string[] = [];
    for (const row of [...rows, total]) {
        for (const dim of ["cpu", "memory"] as const) {
            if (row.share[dim] > options.targetUtilization) {
                overBudget.push(`${row.pool} ${dim}`);
            }
        }
    }
    return { targetUtilization: options.targetUtilization, reservationModel: options.reservationModel, pools, rows, total, overBudget, capacityProblems: problems, tenancyProblems };
}

const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "n/a");

/** Rows of the report as cells: pool, requests, limits, allocatable, share, budget. */
function cells(report: BudgetReport): string[][] {
    const budget = `${(report.targetUtilization * 100).toFixed(0)} %`;
    return [...report.rows, report.total].map((r) => [
        r.pool,
        `${formatCpu(r.requests.cpu)} / ${formatMemory(r.requests.memory)}`,
        `${formatCpu(r.limits.cpu)} / ${formatMemory(r.limits.memory)}`,
        `${formatCpu(r.allocatable.cpu)} / ${formatMemory(r.allocatable.memory)}`,
        `${percent(r.share.cpu)} / ${percent(r.share.memory)}`,
        budget,
    ]);
}

const header = ["pool", "requests (cpu / mem)", "limits (cpu / mem)", "allocatable (cpu / mem)", "requests % (cpu / mem)", "budget"];

/** A fixed-width text table, for terminals and policy messages. */
export function formatTable(report: BudgetReport): string {
    const rows = [header, ...cells(report)];
    const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

/** The same table in Markdown, for pull-request comments. */
export function formatMarkdown(report: BudgetReport): string {
    const line = (r: string[]) => `| ${r.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...cells(report).map(line)].join("\n");
}
