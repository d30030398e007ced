// KindPreflight: the preflight checks of kind-preflight.ts as a step of `pulumi up`. Its
// create and update run the checks and fail with every error found, so the kind cluster
// that depends on it is never started on a laptop that cannot hold it. warnKindPreflight
// runs the same checks at program time, for a preview to warn early.

import * as pulumi from "@pulumi/pulumi";
import {
    type KindHostPorts,
    type KindPreflightInput,
    type PreflightFinding,
    preflightFailure,
    preflightSummary,
    runKindPreflight,
    runKindPreflightSync,
} from "./kind-preflight";

export interface KindPreflightArgs {
    readonly clusterName: pulumi.Input<string>;
    readonly hostPorts: pulumi.Input<KindHostPorts>;
    /** The platform's steady-state requests, as `npm run budget` computes them. */
    readonly requests: pulumi.Input<{ readonly cpuMillicores: number; readonly memoryBytes: number }>;
    /** Nodes of the cluster, its control plane included. */
    readonly nodes: pulumi.Input<number>;
    /** The kind release the node images are pinned for (kindRelease). */
    readonly kindVersion: pulumi.Input<string>;
    /**
     * Anything that changes whenever the cluster is recreated (the rendered kind config, say):
     * a change runs the checks again, as any other input change does.
     */
    readonly rerunOn?: pulumi.Input<string>;
}

/** The inputs the checks read; a change to any of them runs the checks again. */
const inputKeys = ["clusterName", "hostPorts", "requests", "nodes", "kindVersion", "rerunOn"] as const;

// The provider runs in Pulumi's dynamic-provider host, from a serialized copy: it may use
// only what kind-preflight.ts and this object hold, never `pulumi` (see that module's header).
const kindPreflightProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
        const input = preflightInputOf(inputs);
        const outs = await checkedOuts(input, inputs);
        return { id: `kind-preflight-${input.clusterName}`, outs };
    },

    diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
        const changed = inputKeys.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
        return Promise.resolve({ changes: changed.length > 0, replaces: [], deleteBeforeReplace: false });
    },

    async update(_id: string, _olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await checkedOuts(preflightInputOf(news), news) };
    },
    // Nothing to delete: the checks leave nothing behind.
};

function preflightInputOf(raw: Record<string, unknown>): KindPreflightInput {
    const ports = (raw.hostPorts ?? {}) as Record<string, unknown>;
    const requests = (raw.requests ?? {}) as Record<string, unknown>;
    return {
        clusterName: String(raw.clusterName),
        hostPorts: { http: Number(ports.http), https: Number(ports.https), listenAddress: String(ports.listenAddress) },
        requests: { cpuMillicores: Number(requests.cpuMillicores), memoryBytes: Number(requests.memoryBytes) },
        nodes: Number(raw.nodes),
        kindVersion: String(raw.kindVersion),
    };
}

/** Runs the checks; throws with every error, else returns the outputs (inputs kept for the next diff). */
async function checkedOuts(input: KindPreflightInput, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
    const findings = await runKindPreflight(input);
    const failure = preflightFailure(input.clusterName, findings);
    if (failure !== undefined) {
        throw new Error(failure);
    }
    const kept: Record<string, unknown> = {};
    for (const k of inputKeys) {
        if (raw[k] !== undefined) {
            kept[k] = raw[k];
        }
    }
    return {
        ...kept,
        findings: findings.map((f) => ({ ...f })),
        summary: preflightSummary(findings),
        warnings: findings.filter((f) => !f.ok).map((f) => `${f.check}: ${f.message}`),
    };
}

/** Runs the kind preflight as a step before the cluster: `dependsOn` it from the kind Command. */
export class KindPreflight extends pulumi.dynamic.Resource {
    /** Every finding, passed or not. */
    declare readonly findings: pulumi.Output<PreflightFinding[]>;
    /** One line per finding. */
    declare readonly summary: pulumi.Output<string>;
    /** The checks that failed with a warning (an error fails the step instead). */
    declare readonly warnings: pulumi.Output<string[]>;

    constructor(name: string, args: KindPreflightArgs, opts?: pulumi.CustomResourceOptions) {
        super(kindPreflightProvider, name, { ...args, findings: undefined, summary: undefined, warnings: undefined }, opts);
    }
}

/**
 * The same checks at program time, as warning lines for a preview to log. Never throws and
 * never blocks for long: without Docker (any mock harness) it returns warnings in well
 * under a second.
 */
export function warnKindPreflight(input: KindPreflightInput): string[] {
    try {
        const failed = runKindPreflightSync(input).filter((f) => !f.ok);
        return failed.map((f) => `kind preflight (${f.check}): ${f.message}${f.severity === "error" ? " — `pulumi up` will stop before creating the cluster" : ""}`);
    } catch (e) {
        return [`kind preflight could not run: ${(e as Error).message}`];
    }
}
