// Has Argo CD finished syncing the platform? A pure verdict on the root app-of-apps and its
// child Applications as the Kubernetes API returns them, plus a report that says, one line
// per app, what is not done yet and why, in Argo CD's own words.
//
// The field shapes follow argoproj/argo-cd v3.4.4 (the app of chart argo-cd 10.1.1),
// pkg/apis/application/v1alpha1/types.go. Two v3 facts shape where messages come from:
// - `status.health.message` is deprecated and no longer set for the Application itself;
// - resource health (`status.resources[].health`) is only in the Application when the
//   controller runs with `controller.resource.health.persist: "true"`; by default v3 keeps
//   it in its app tree and says so with `status.resourceHealthSource: appTree`.
// So the messages come mostly from conditions and the operation state.
//
// This module also runs inside Pulumi's dynamic-provider host (serialized by value with
// the ArgoCdSyncWait provider): keep it free of imports, and of module-level Sets and Maps.

/** `status.sync.status` (SyncStatusCode). */
export type SyncStatusCode = "Synced" | "OutOfSync" | "Unknown";
/** `status.health.status` (gitops-engine health.HealthStatusCode). */
export type HealthStatusCode = "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";

export interface ApplicationSourceRef {
    readonly repoURL?: string;
    readonly path?: string;
    readonly chart?: string;
    readonly targetRevision?: string;
}

/** `status.resources[]` (ResourceStatus). */
export interface ResourceStatus {
    readonly group?: string;
    readonly version?: string;
    readonly kind?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly status?: string;
    readonly health?: { readonly status?: string; readonly message?: string };
    readonly hook?: boolean;
    readonly requiresPruning?: boolean;
}

/** The parts of an Application (argoproj.io/v1alpha1) this verdict reads. */
export interface ArgoApplication {
    readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly annotations?: Readonly<Record<string, string>> };
    readonly spec?: { readonly source?: ApplicationSourceRef; readonly sources?: readonly ApplicationSourceRef[] };
    /** Set while an operation is requested and not yet picked up by the controller. */
    readonly operation?: unknown;
    readonly status?: {
        readonly sync?: {
            readonly status?: string;
            readonly revision?: string;
            readonly revisions?: readonly string[];
            readonly comparedTo?: { readonly source?: ApplicationSourceRef; readonly sources?: readonly ApplicationSourceRef[] };
        };
        readonly health?: { readonly status?: string; readonly message?: string };
        readonly conditions?: readonly { readonly type?: string; readonly message?: string }[];
        readonly operationState?: {
            readonly phase?: string;
            readonly message?: string;
            readonly syncResult?: { readonly revision?: string; readonly revisions?: readonly string[] };
        };
        readonly resources?: readonly ResourceStatus[];
        readonly resourceHealthSource?: string;
    };
}

export interface SyncExpectation {
    /** The root Application, or undefined when the API has none of that name. */
    readonly root: ArgoApplication | undefined;
    readonly rootName: string;
    /** Applications of the namespace (the root among them or not). */
    readonly applications: readonly ArgoApplication[];
    /** The commit the root must have synced (full SHA); undefined accepts any. */
    readonly revision?: string;
    /** The child Applications the program expects the root to create. */
    readonly apps: readonly string[];
}

export interface AppProblem {
    readonly name: string;
    readonly role: "root" | "child";
    /** missing: no such Application; revision: the root synced another commit; not-ready: not Synced, not Healthy or busy. */
    readonly problem: "missing" | "revision" | "not-ready";
    readonly sync?: string;
    readonly health?: string;
    readonly revision?: string;
    readonly operation?: string;
    /** A child the root owns that is not in the program's list of apps. */
    readonly unexpected: boolean;
    /** Argo CD's messages about it, most telling first. */
    readonly messages: readonly string[];
    readonly message: string;
}

export interface SyncVerdict {
    readonly done: boolean;
    /** The root exists but has not synced the expected revision: a refresh may help. */
    readonly rootRevisionStale: boolean;
    /** The revision (or revisions, comma-separated) the root last compared. */
    readonly rootRevision?: string;
    /** Every child checked: the expected ones and those the root owns. */
    readonly children: readonly string[];
    /** Children the root owns that the program did not expect. */
    readonly unexpected: readonly string[];
    readonly problems: readonly AppProblem[];
    /** One line per problem, for humans. */
    readonly report: string;
}

/** At most this many resources are named per app: the report stays readable. */
const maxResourcesNamed = 5;
/** Long messages (Helm errors can run to kilobytes) are cut to this many characters. */
const maxMessageLength = 400;

export function evaluateSync(expectation: SyncExpectation): SyncVerdict {
    const { root, rootName } = expectation;
    const byName = new Map<string, ArgoApplication>();
    for (const app of expectation.applications) {
        const name = app.metadata?.name;
        if (name && name !== rootName) byName.set(name, app);
    }
    const expected = new Set(expectation.apps);
    const owned = root ? ownedApplications(root).filter((name) => name !== rootName) : [];
    const unexpectedNames = owned.filter((name) => !expected.has(name));
    const children = [...new Set([...expectation.apps, ...owned])].sort();

    const problems: AppProblem[] = [];
    const rootRevision = root ? syncedRevisions(root).join(", ") || undefined : undefined;
    let rootRevisionStale = false;
    if (!root) {
        problems.push(problem(rootName, "root", "missing", undefined, false, []));
    } else {
        rootRevisionStale = expectation.revision !== undefined && !hasSynced(root, expectation.revision);
        const blockers = notDoneReasons(root);
        if (rootRevisionStale) {
            problems.push(problem(rootName, "root", "revision", root, false, messagesOf(root, rootName)));
        } else if (blockers.length > 0) {
            problems.push(problem(rootName, "root", "not-ready", root, false, [...blockers.filter(isExplanation), ...messagesOf(root, rootName)]));
        }
    }
    for (const name of children) {
        const app = byName.get(name);
        const unexpected = !expected.has(name);
        if (!app) {
            problems.push(problem(name, "child", "missing", undefined, unexpected, []));
            continue;
        }
        const blockers = notDoneReasons(app);
        if (blockers.length > 0) {
            problems.push(problem(name, "child", "not-ready", app, unexpected, [...blockers.filter(isExplanation), ...messagesOf(app, name)]));
        }
    }

    const verdict = { done: problems.length === 0, rootRevisionStale, rootRevision, children, unexpected: unexpectedNames, problems };
    return { ...verdict, report: formatReport(verdict, expectation) };
}

/** Whether the root's last comparison was at `revision` (multi-source: any of its revisions). */
export function hasSynced(app: ArgoApplication, revision: string): boolean {
    const wanted = revision.trim().toLowerCase();
    return syncedRevisions(app).some((r) => r.toLowerCase() === wanted);
}

function syncedRevisions(app: ArgoApplication): string[] {
    const sync = app.status?.sync;
    return [...(sync?.revision ? [sync.revision] : []), ...(sync?.revisions ?? [])];
}

/** Names of the Applications listed among the root's resources. */
function ownedApplications(root: ArgoApplication): string[] {
    return (root.status?.resources ?? []).filter(isApplicationResource).flatMap((r) => (r.name ? [r.name] : []));
}

function isApplicationResource(resource: ResourceStatus): boolean {
    return resource.kind === "Application" && (resource.group === undefined || resource.group === "argoproj.io");
}

// A function, not a Set: Pulumi's closure serialization would turn a captured Set into a plain object.
const isBusy = (phase: string | undefined) => phase === "Running" || phase === "Terminating";

/**
 * Why an app is not done: Synced, Healthy, idle, and compared against its current spec.
 * Entries starting with "·" are markers only (the sync/health pair already says it).
 */
function notDoneReasons(app: ArgoApplication): string[] {
    const reasons: string[] = [];
    const status = app.status;
    if (status?.sync?.status !== "Synced") reasons.push("·sync");
    if (status?.health?.status !== "Healthy") reasons.push("·health");
    const phase = status?.operationState?.phase;
    if (isBusy(phase)) reasons.push("·operation");
    if (app.operation) reasons.push("an operation is requested and not started yet");
    const lag = comparedToLag(app);
    if (lag) reasons.push(lag);
    return reasons;
}

const isExplanation = (reason: string) => !reason.startsWith("·");

/**
 * After the root applies a new child spec, the child's status still describes the old one
 * until its controller compares again: a stale "Synced, Healthy" must not count.
 */
function comparedToLag(app: ArgoApplication): string | undefined {
    const spec = app.spec?.sources ?? (app.spec?.source ? [app.spec.source] : undefined);
    const comparedTo = app.status?.sync?.comparedTo;
    const compared = comparedTo?.sources ?? (comparedTo?.source ? [comparedTo.source] : undefined);
    if (!spec || !compared) return undefined;
    const key = (s: ApplicationSourceRef) => [s.repoURL ?? "", s.path ?? "", s.chart ?? "", s.targetRevision ?? ""].join(" ");
    const specKeys = spec.map(key).join("\n");
    if (specKeys === compared.map(key).join("\n")) return undefined;
    const revisions = (list: readonly ApplicationSourceRef[]) => list.map((s) => s.targetRevision ?? "?").join(", ");
    return `its status describes an older spec (compared ${revisions(compared)}, spec wants ${revisions(spec)})`;
}

/** Argo CD's messages about an app, most telling first, each once. */
function messagesOf(app: ArgoApplication, name: string): string[] {
    const status = app.status;
    // [text, the part another message may already quote]
    const found: [string, string][] = [];
    const conditions = status?.conditions ?? [];
    // Errors (ComparisonError, SyncError, InvalidSpecError, UnknownError, DeletionError) first, then warnings.
    for (const suffix of ["Error", "Warning"]) {
        for (const condition of conditions) {
            if (condition.type?.endsWith(suffix) && condition.message) found.push([`${condition.type}: ${condition.message}`, condition.message]);
        }
    }
    const operation = status?.operationState;
    if (operation?.phase && operation.phase !== "Succeeded" && operation.message) {
        found.push([`sync ${operation.phase}: ${operation.message}`, operation.message]);
    }
    // Deprecated in v3 and normally empty; older controllers and custom checks may still set it.
    if (status?.health?.message) found.push([status.health.message, status.health.message]);

    const resources = (status?.resources ?? []).filter((r) => !r.hook);
    // For the root these include its child Applications: which children keep it from Healthy.
    const unhealthy = resources.filter((r) => r.health?.status && r.health.status !== "Healthy");
    for (const line of named(unhealthy, (r) => `${resourceName(r)}: ${r.health?.message || r.health?.status}`)) found.push([line, line]);
    const outOfSync = resources.filter((r) => r.status === "OutOfSync");
    if (status?.sync?.status === "OutOfSync" && outOfSync.length > 0) {
        const line = `OutOfSync: ${named(outOfSync, resourceName).join(", ")}`;
        found.push([line, line]);
    }
    if (status?.health?.status !== "Healthy" && unhealthy.length === 0 && status?.resourceHealthSource === "appTree") {
        const line = `resource health is kept in Argo CD's app tree, not in the Application: see \`argocd app get ${name}\` or the UI`;
        found.push([line, line]);
    }
    // A SyncError condition quotes the failed operation's message: say it once.
    const kept: string[] = [];
    for (const [text, quoted] of found) {
        if (!kept.some((k) => k.includes(quoted))) kept.push(text);
    }
    return kept.map(oneLine);
}

/** The first few entries, then how many more there are. */
function named(resources: readonly ResourceStatus[], describe: (r: ResourceStatus) => string): string[] {
    const shown = resources.slice(0, maxResourcesNamed).map(describe);
    return resources.length > maxResourcesNamed ? [...shown, `and ${resources.length - maxResourcesNamed} more`] : shown;
}

const resourceName = (r: ResourceStatus) => `${r.kind ?? "?"} ${r.name ?? "?"}`;

/** Multi-line Argo CD and Helm messages on one report line, cut to a readable length. */
function oneLine(message: string): string {
    const flat = message.replace(/\s*\n\s*/g, " | ").trim();
    return flat.length > maxMessageLength ? `${flat.slice(0, maxMessageLength - 1)}…` : flat;
}

function problem(name: string, role: AppProblem["role"], kind: AppProblem["problem"], app: ArgoApplication | undefined, unexpected: boolean, messages: string[]): AppProblem {
    const status = app?.status;
    const phase = status?.operationState?.phase;
    return {
        name,
        role,
        problem: kind,
        sync: status?.sync?.status,
        health: status?.health?.status,
        revision: app ? syncedRevisions(app).join(", ") || undefined : undefined,
        operation: phase,
        unexpected,
        messages,
        message: messages.join("; "),
    };
}

/** Commit SHAs as `git log --oneline` shows them; anything else (tags, chart versions) whole. */
const shortRevision = (revision: string) => (/^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 7) : revision);

function formatReport(verdict: Omit<SyncVerdict, "report">, expectation: SyncExpectation): string {
    const lines = verdict.problems.map((p) => {
        const label = p.role === "root" ? `root ${p.name}` : p.name;
        const note = p.unexpected ? " (not in the program's list of apps)" : "";
        const detail = p.message ? ` — ${p.message}` : "";
        switch (p.problem) {
            case "missing":
                return p.role === "root"
                    ? `${label}: missing (no such Application in the cluster)`
                    : `${label}${note}: missing (the root has not created it yet)`;
            case "revision": {
                const synced = p.revision ? `synced revision ${p.revision.split(", ").map(shortRevision).join(", ")}` : "has synced no revision yet";
                return `${label}: ${synced}, expected ${shortRevision(expectation.revision ?? "")}${detail}`;
            }
            case "not-ready": {
                const busy = isBusy(p.operation) ? `, operation ${p.operation}` : "";
                return `${label}${note}: ${p.health ?? "no health yet"} / ${p.sync ?? "not compared yet"}${busy}${detail}`;
            }
        }
    });
    const quietUnexpected = verdict.unexpected.filter((name) => !verdict.problems.some((p) => p.name === name));
    if (quietUnexpected.length > 0) {
        lines.push(`(the root also owns ${quietUnexpected.join(", ")}, not in the program's list of apps; Synced and Healthy)`);
    }
    return lines.join("\n");
}
