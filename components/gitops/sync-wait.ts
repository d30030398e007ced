// `pulumi up` ends when the platform works, not when Argo CD has merely been handed the root
// Application: this dynamic resource polls the Applications until the root has synced the
// expected commit and every child it owns is Synced and Healthy, or fails after a time limit
// with a report of what is not, in Argo CD's words (see sync-status.ts).
//
// The provider runs in Pulumi's dynamic-provider host, serialized by value: its methods use
// only this module's functions, kube-api.ts and sync-status.ts (which require their Node
// modules at call time). Under mocks create is never called, so previews need no cluster.

import * as pulumi from "@pulumi/pulumi";
import { isKubeApiError, kubeApiFromKubeconfig } from "../kube-api";
import { type ArgoApplication, evaluateSync, type SyncVerdict } from "./sync-status";

export interface ArgoCdSyncWaitArgs {
    /** A kubeconfig that may list and patch Applications (kept secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** Namespace of the Applications; default argocd. */
    readonly namespace?: pulumi.Input<string>;
    /** Name of the root app-of-apps. */
    readonly rootApp: pulumi.Input<string>;
    /** The commit (full SHA) the root must have synced; absent: any. */
    readonly revision?: pulumi.Input<string | undefined>;
    /** The child Applications the root should create. */
    readonly apps: pulumi.Input<readonly pulumi.Input<string>[]>;
    readonly timeoutSeconds: pulumi.Input<number>;
    /** Between two looks at the Applications; default 5. */
    readonly pollSeconds?: pulumi.Input<number>;
    /** How long the root may show another revision before Argo CD is asked to refresh it; default 20. */
    readonly refreshAfterSeconds?: pulumi.Input<number>;
}

/** The inputs as the provider receives them, resolved. */
export interface SyncWaitInputs {
    readonly kubeconfig: string;
    readonly namespace?: string;
    readonly rootApp: string;
    readonly revision?: string;
    readonly apps: readonly string[];
    readonly timeoutSeconds: number;
    readonly pollSeconds?: number;
    readonly refreshAfterSeconds?: number;
}

/** The resource's state: what was waited for and how long it took; never the kubeconfig. */
export interface SyncWaitOutputs {
    readonly namespace: string;
    readonly rootApp: string;
    /** The expected revision, as given (absent: any). */
    readonly revision?: string;
    /** What the root had synced when it was done. */
    readonly syncedRevision?: string;
    /** The expected child Applications, sorted. */
    readonly apps: string[];
    /** Every child checked: the expected ones and any other the root owns. */
    readonly children: string[];
    readonly timeoutSeconds: number;
    readonly waitedSeconds: number;
    /** How many times Argo CD was asked to refresh the root. */
    readonly refreshes: number;
}

/** Argo CD's refresh request: pkg/apis/application/v1alpha1 AnnotationKeyRefresh, RefreshTypeNormal. */
export const refreshAnnotation = { key: "argocd.argoproj.io/refresh", value: "normal" } as const;

interface WaitSettings {
    readonly kubeconfig: string;
    readonly namespace: string;
    readonly rootApp: string;
    readonly revision?: string;
    readonly apps: string[];
    readonly timeoutSeconds: number;
    readonly pollSeconds: number;
    readonly refreshAfterSeconds: number;
}

/** Checks and defaults the provider's inputs; throws on nonsense rather than waiting on it. */
export function waitSettings(inputs: SyncWaitInputs): WaitSettings {
    const positive = (value: unknown, name: string, fallback?: number): number => {
        const n = value === undefined || value === null ? fallback : value;
        if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) throw new Error(`ArgoCdSyncWait: ${name} must be a positive number of seconds, not ${String(value)}`);
        return n;
    };
    if (typeof inputs.kubeconfig !== "string" || inputs.kubeconfig.trim() === "") throw new Error("ArgoCdSyncWait: kubeconfig is empty");
    if (typeof inputs.rootApp !== "string" || inputs.rootApp === "") throw new Error("ArgoCdSyncWait: rootApp is empty");
    const apps: unknown = inputs.apps;
    if (!Array.isArray(apps) || !apps.every((a): a is string => typeof a === "string" && a !== "")) throw new Error("ArgoCdSyncWait: apps must be a list of Application names");
    const revision = typeof inputs.revision === "string" && inputs.revision.trim() !== "" ? inputs.revision.trim() : undefined;
    return {
        kubeconfig: inputs.kubeconfig,
        namespace: inputs.namespace || "argocd",
        rootApp: inputs.rootApp,
        revision,
        apps: [...new Set(apps)].sort(),
        timeoutSeconds: positive(inputs.timeoutSeconds, "timeoutSeconds"),
        pollSeconds: positive(inputs.pollSeconds, "pollSeconds", 5),
        refreshAfterSeconds: positive(inputs.refreshAfterSeconds, "refreshAfterSeconds", 20),
    };
}

/**
 * Polls the namespace's Applications until the verdict is done; rejects after timeoutSeconds
 * with the report. While the root shows another revision for refreshAfterSeconds, asks Argo
 * CD to refresh it (again every refreshAfterSeconds): the controller otherwise notices a
 * new targetRevision only at its next resync, up to three minutes later.
 */
export async function waitForArgoCdSync(inputs: SyncWaitInputs): Promise<SyncWaitOutputs> {
    const settings = waitSettings(inputs);
    const api = kubeApiFromKubeconfig(settings.kubeconfig);
    const listPath = `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(settings.namespace)}/applications`;
    const started = Date.now();
    const deadline = started + settings.timeoutSeconds * 1000;
    let verdict: SyncVerdict | undefined;
    let lastError: string | undefined;
    let staleSince: number | undefined;
    let lastRefresh: number | undefined;
    let refreshes = 0;

    for (;;) {
        try {
            const applications = await api.list<ArgoApplication>(listPath);
            lastError = undefined;
            verdict = evaluateSync({
                root: applications.find((a) => a.metadata?.name === settings.rootApp),
                rootName: settings.rootApp,
                applications,
                revision: settings.revision,
                apps: settings.apps,
            });
        } catch (e) {
            // Waiting will not grant permissions: say so now instead of at the deadline.
            if (isKubeApiError(e, 401) || isKubeApiError(e, 403)) {
                throw new Error(`ArgoCdSyncWait: the kubeconfig may not list Applications in ${settings.namespace}: ${(e as Error).message}`);
            }
            lastError = (e as Error).message;
        }
        const now = Date.now();
        if (verdict?.done && lastError === undefined) {
            return {
                namespace: settings.namespace,
                rootApp: settings.rootApp,
                ...(settings.revision ? { revision: settings.revision } : {}),
                ...(verdict.rootRevision ? { syncedRevision: verdict.rootRevision } : {}),
                apps: settings.apps,
                children: [...verdict.children],
                timeoutSeconds: settings.timeoutSeconds,
                waitedSeconds: Math.round((now - started) / 100) / 10,
                refreshes,
            };
        }
        if (now >= deadline) throw new Error(timeoutMessage(settings, (now - started) / 1000, verdict, lastError));

        if (lastError === undefined && verdict?.rootRevisionStale) {
            staleSince ??= now;
            const due = settings.refreshAfterSeconds * 1000;
            if (now - staleSince >= due && (lastRefresh === undefined || now - lastRefresh >= due)) {
                lastRefresh = now;
                try {
                    await api.mergePatch(`${listPath}/${encodeURIComponent(settings.rootApp)}`, {
                        metadata: { annotations: { [refreshAnnotation.key]: refreshAnnotation.value } },
                    });
                    refreshes++;
                } catch (e) {
                    lastError = `asking Argo CD to refresh ${settings.rootApp}: ${(e as Error).message}`;
                }
            }
        } else if (lastError === undefined) {
            staleSince = undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(settings.pollSeconds * 1000, Math.max(0, deadline - Date.now()))));
    }
}

function timeoutMessage(settings: WaitSettings, waited: number, verdict: SyncVerdict | undefined, lastError: string | undefined): string {
    const indent = (text: string) => text.split("\n").map((line) => `  ${line}`).join("\n");
    const what = settings.revision ? `commit ${settings.revision}` : "the platform";
    const seconds = waited < 10 ? waited.toFixed(1) : String(Math.round(waited));
    const lines = [`Argo CD had not synced ${what} after ${seconds} s (timeoutSeconds: ${settings.timeoutSeconds}).`];
    if (verdict) lines.push("Not done yet:", indent(verdict.report));
    if (lastError) lines.push(verdict ? `The last look at the Applications failed: ${lastError}` : `The Applications could not be read: ${lastError}`);
    lines.push(
        `Look further with \`kubectl -n ${settings.namespace} get applications\` and \`kubectl -n ${settings.namespace} describe application <name>\` (or the Argo CD UI);` +
            " `pulumi up` again waits again.",
    );
    return lines.join("\n");
}

const sameList = (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined) =>
    JSON.stringify([...(a ?? [])].map(String).sort()) === JSON.stringify([...(b ?? [])].map(String).sort());

/** A new revision, another app list, root, namespace or time limit: wait again. */
export function syncWaitChanged(olds: Partial<SyncWaitOutputs>, news: SyncWaitInputs): boolean {
    return (
        (olds.revision ?? "") !== (news.revision ?? "") ||
        !sameList(olds.apps, news.apps) ||
        olds.rootApp !== news.rootApp ||
        (olds.namespace ?? "argocd") !== (news.namespace || "argocd") ||
        olds.timeoutSeconds !== news.timeoutSeconds
    );
}

const argoCdSyncWaitProvider: pulumi.dynamic.ResourceProvider<SyncWaitInputs, SyncWaitOutputs> = {
    async create(inputs) {
        const outs = await waitForArgoCdSync(inputs);
        return { id: `${outs.namespace}/${outs.rootApp}`, outs };
    },
    async update(_id, _olds, news) {
        return { outs: await waitForArgoCdSync(news) };
    },
    diff: (_id, olds, news) => Promise.resolve({ changes: syncWaitChanged(olds, news) }),
    // Waiting leaves nothing behind.
    async delete() {},
};

export class ArgoCdSyncWait extends pulumi.dynamic.Resource {
    // `declare`: a class field would overwrite the outputs super() has just set up.
    declare readonly namespace: pulumi.Output<string>;
    declare readonly rootApp: pulumi.Output<string>;
    declare readonly revision: pulumi.Output<string | undefined>;
    declare readonly syncedRevision: pulumi.Output<string | undefined>;
    declare readonly apps: pulumi.Output<string[]>;
    declare readonly children: pulumi.Output<string[]>;
    declare readonly waitedSeconds: pulumi.Output<number>;

    constructor(name: string, args: ArgoCdSyncWaitArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            argoCdSyncWaitProvider,
            name,
            {
                kubeconfig: pulumi.secret(args.kubeconfig),
                namespace: args.namespace ?? "argocd",
                rootApp: args.rootApp,
                revision: args.revision,
                apps: args.apps,
                timeoutSeconds: args.timeoutSeconds,
                pollSeconds: args.pollSeconds ?? 5,
                refreshAfterSeconds: args.refreshAfterSeconds ?? 20,
                // Outputs only: listed so the resource exposes them.
                syncedRevision: undefined,
                children: undefined,
                waitedSeconds: undefined,
            },
            opts,
        );
    }
}
