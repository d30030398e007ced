// The one Helm helper every add-on uses: an exactly pinned, atomic release in a namespace
// the tenancy layer created, with the catalog's resources, replicas and node placement
// written into the chart values.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import { type NodePool, poolLabel } from "../cluster/types";

export type Values = Record<string, unknown>;

/** Sets `value` at a dotted path ("" is the root object itself, which must then be an object). */
export function setPath(target: Values, path: string, value: unknown): void {
    if (path === "") {
        Object.assign(target, value);
        return;
    }
    const keys = path.split(".");
    let node = target;
    for (const key of keys.slice(0, -1)) {
        node[key] ??= {};
        node = node[key] as Values;
    }
    node[keys[keys.length - 1]] = value;
}

export function getPath(source: unknown, path: string): unknown {
    return path === "" ? source : path.split(".").reduce<unknown>((node, key) => (node as Values | undefined)?.[key], source);
}

function isObject(v: unknown): v is Values {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge where `override` wins; arrays are replaced, not concatenated. */
export function deepMerge(base: Values, override: Values): Values {
    const out: Values = { ...base };
    for (const [k, v] of Object.entries(override)) {
        out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k], v) : v;
    }
    return out;
}

/** nodeSelector and tolerations that put a pod on `pool` (and only there). */
export function placement(pool: Pick<NodePool, "name" | "taints">): { nodeSelector: Record<string, string>; tolerations: Values[] } {
    return {
        nodeSelector: { [poolLabel]: pool.name },
        tolerations: pool.taints.map((t) => ({ key: t.key, operator: t.value === undefined ? "Exists" : "Equal", ...(t.value === undefined ? {} : { value: t.value }), effect: t.effect })),
    };
}

/** The values the catalog dictates: every container's resources, replica counts, placement. */
export function catalogValues(app: CatalogApp, pool: Pick<NodePool, "name" | "taints">): Values {
    const values: Values = {};
    const where = placement(pool);
    for (const workload of app.workloads) {
        for (const c of workload.containers) {
            if (c.resourcesPath !== undefined) {
                setPath(values, c.resourcesPath, { requests: { ...c.requests }, limits: { ...c.limits } });
            }
        }
        if (workload.replicasPath !== undefined) {
            setPath(values, workload.replicasPath, workload.replicas);
        }
        if (workload.placementPath !== undefined) {
            const prefix = workload.placementPath === "" ? "" : `${workload.placementPath}.`;
            setPath(values, `${prefix}nodeSelector`, { ...where.nodeSelector });
            setPath(values, `${prefix}tolerations`, [...where.tolerations]);
        }
    }
    return values;
}

export interface AddonReleaseArgs {
    readonly app: CatalogApp;
    /** Namespace name as an output of the tenancy layer's Namespace. */
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    /** Chart-specific values; the catalog's values are merged over them. */
    readonly values: pulumi.Input<Values>;
    readonly provider: k8s.Provider;
    readonly timeoutSeconds?: number;
}

/** Seconds Helm waits for an add-on's pods to be ready before rolling the release back. */
export const defaultTimeoutSeconds = 600;

export function addonRelease(name: string, args: AddonReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const { app } = args;
    const generated = catalogValues(app, args.pool);
    return new k8s.helm.v3.Release(
        name,
        {
            name: app.name,
            chart: app.chart.name,
            version: app.chart.version,
            repositoryOpts: { repo: app.chart.repo },
            namespace: args.namespace,
            createNamespace: false,
            atomic: true,
            cleanupOnFail: true,
            timeout: args.timeoutSeconds ?? defaultTimeoutSeconds,
            maxHistory: 5,
            values: pulumi.output(args.values).apply((v) => deepMerge(v, generated)),
        },
        { ...opts, provider: args.provider },
    );
}
