// An offline Kyverno 1.19 admission check: evaluates the ValidatingPolicy and PolicyException
// objects the program registers (components/addons/kyverno-policies.ts, admission-rules.ts), as
// plain manifests, against a Pod or a pod controller, or any other object (namespaced or
// cluster-scoped, with the request's user and operation), the way the cluster would. The rules are never copied:
// every verdict comes from the policies' own CEL, run by @bufbuild/cel.
//
// What it does as Kyverno does (pkg/cel/policies/vpol at v1.19.0):
// - matchConstraints as the API server's admission matcher: namespaceSelector against the
//   Namespace's labels (with the kubernetes.io/metadata.name label every namespace gets),
//   objectSelector, resourceRules and excludeResourceRules, operations and scope;
// - autogen: a policy whose matchConstraints hold exactly one rule for core v1 pods (and no
//   objectSelector, excludeResourceRules or resourceNames) also checks pod controllers, through a
//   copy of its spec per config, `defaults` (DaemonSets, Deployments, ReplicaSets, StatefulSets,
//   Jobs) and `cronjobs`, limited to spec.autogen.podControllers.controllers when set. The copy's
//   matchConstraints are the controllers' resource rules with the policy's operations and
//   namespaceSelector; every string of the copy has `object.spec`/`oldObject.spec` replaced by
//   the template's spec path and `object.metadata`/`oldObject.metadata` by the template's
//   metadata path, as plain text, except where `.namespace` follows;
// - exceptions first: PolicyExceptions (only when enabled, only from the configured namespace,
//   not expired) whose policyRefs name the policy, with their matchConditions unrewritten; one
//   without images/allowedValues whose conditions all hold exempts the object fully;
// - then the policy's matchConditions (an error counts by failurePolicy), its variables (lazy:
//   one that fails only fails the expressions that read it) and its validations, in order: the
//   first that is false (or fails) is the policy's verdict, with its message or messageExpression
//   (AdmitOptions.everyValidation reports the later failures too);
// - validationActions (empty means Deny), failurePolicy (Fail by default; Ignore makes an
//   evaluation error harmless) and evaluation.admission.enabled.
// - Kyverno's webhooks never see requests from namespaces its configmap's webhook
//   namespaceSelector leaves out: with the chart's defaults (config.webhooks and
//   config.excludeKyvernoNamespace) kube-system and Kyverno's own namespace.
// An exempted policy is still evaluated here, so a verdict can say what the exception waived.
// Not modelled: Kyverno's other filters (resourceFilters, excluded groups such as system:nodes),
// background scans, CEL cost limits, and the Kubernetes/Kyverno CEL libraries (a policy that
// calls them fails checkFunctions).
//
// Objects reach CEL typed as the API server types them: integers as int (BigInt), strings as
// strings, resource quantities as strings (YAML `cpu: 1` is "1"; the server's canonical form,
// such as 1000m → 1, is not modelled), null fields absent.

import { celEnv, isCelError, parse, plan, type CelInput } from "@bufbuild/cel";
import { exceptionNamespace } from "../../components/addons/kyverno-policies";

/** A Kubernetes object as a plain manifest. */
export type KubeObject = {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
    spec?: Record<string, unknown>;
    [field: string]: unknown;
};

export type ValidationAction = "Deny" | "Audit" | "Warn";
export type AutogenConfig = "defaults" | "cronjobs";

export interface AdmissionRequest {
    /** The object as rendered: a Pod, a pod controller, or any other kind (RBAC, webhooks, Ingresses, custom resources). */
    readonly object: KubeObject;
    /**
     * The Namespace object (name and labels) the object is created in; absent for a
     * cluster-scoped object, which every namespaceSelector matches (the API server's rule:
     * only a Namespace itself is matched by its own labels).
     */
    readonly namespace?: KubeObject;
    readonly operation?: "CREATE" | "UPDATE";
    readonly oldObject?: KubeObject;
    /** Who sends the request: the request.userInfo policies read. */
    readonly userInfo?: UserInfo;
}

export interface UserInfo {
    readonly username: string;
    readonly groups?: readonly string[];
}

export interface AdmitOptions {
    /** The Kyverno chart's features.policyExceptions; by default enabled, in Kyverno's namespace (as the platform installs it). */
    readonly policyExceptions?: { readonly enabled: boolean; readonly namespace: string };
    /** For exceptions' expiresAt. */
    readonly now?: Date;
    /** Report every failed validation of a policy, not only the first (Kyverno stops at the first, and reports that one). */
    readonly everyValidation?: boolean;
    /**
     * Namespaces whose requests reach Kyverno's webhooks at all; by default the chart's: every
     * namespace but kube-system and Kyverno's own. `{}` sends every namespace.
     */
    readonly webhookNamespaceSelector?: LabelSelector;
}

/** The Kyverno chart's default webhook namespaceSelector: config.webhooks (kube-system) plus excludeKyvernoNamespace. */
export const defaultWebhookNamespaceSelector: LabelSelector = {
    matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", exceptionNamespace] }],
};

/** A policy's failed validation (or evaluation error) for the request. */
export interface Verdict {
    readonly policy: string;
    /** The autogen config whose rewritten copy of the policy judged a controller; absent for the policy as written. */
    readonly autogen?: AutogenConfig;
    /** Deny when the policy's validationActions hold Deny, else Warn, else Audit. */
    readonly action: ValidationAction;
    readonly actions: readonly ValidationAction[];
    /** Index of the failed validation; -1 for an error outside the validations (matchConditions, an exception). */
    readonly validation: number;
    /** The expression as evaluated (after the autogen rewrite). */
    readonly expression: string;
    readonly message: string;
    /** Set when the expression failed to evaluate instead of returning false. */
    readonly error?: string;
    /** `namespace/name` of the PolicyExceptions that exempt the object from this policy. */
    readonly exemptedBy?: readonly string[];
    /** Whether this verdict blocks the request: Deny, not exempted, and not an error the policy ignores. */
    readonly denies: boolean;
}

export interface AdmissionResult {
    readonly allowed: boolean;
    /** False when Kyverno's webhooks leave the namespace out (see AdmitOptions.webhookNamespaceSelector): nothing is checked. */
    readonly reachesKyverno: boolean;
    /** Every policy (and autogen copy) that matched the request, as `name` or `name[config]`. */
    readonly matched: readonly string[];
    readonly verdicts: readonly Verdict[];
}

// ---------------------------------------------------------------------------------------------
// Typing: what the API server hands to CEL.

const quantityMaps = new Set(["overhead", "hard", "default", "defaultRequest", "max", "min", "maxLimitRequestRatio"]);

/** A manifest as CEL sees it: integers as int, quantities as strings, null fields dropped. */
export function celTyped(value: unknown, key = "", parentKey = ""): unknown {
    if (typeof value === "number") {
        return Number.isInteger(value) ? BigInt(value) : value;
    }
    if (Array.isArray(value)) {
        return value.filter((v) => v !== null && v !== undefined).map((v) => celTyped(v, key, parentKey));
    }
    if (value !== null && typeof value === "object") {
        const quantities = (parentKey === "resources" && (key === "requests" || key === "limits")) || quantityMaps.has(key);
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            if (v === null || v === undefined) {
                continue;
            }
            out[k] = (quantities || k === "sizeLimit") && typeof v === "number" ? String(v) : celTyped(v, k, key);
        }
        return out;
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// CEL.

const env = celEnv();
type Program = (bindings: Record<string, CelInput>) => unknown;
const programs = new Map<string, Program | string>();

function compile(expression: string): Program | string {
    let program = programs.get(expression);
    if (program === undefined) {
        try {
            // Typed through unknown: @bufbuild/cel's declarations name @bufbuild/protobuf types.
            const planned: unknown = plan(env, parse(expression));
            program = planned as Program;
        } catch (e) {
            program = e instanceof Error ? e.message : String(e);
        }
        programs.set(expression, program);
    }
    return program;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** One CEL expression over `bindings` (already typed, see celTyped), compiled once: its value, or its error. */
export function evaluate(expression: string, bindings: Record<string, unknown>): Outcome {
    const program = compile(expression);
    if (typeof program === "string") {
        return { ok: false, error: program };
    }
    try {
        const value = program(bindings as Record<string, CelInput>);
        return isCelError(value) ? { ok: false, error: value.message } : { ok: true, value };
    } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
}

// ---------------------------------------------------------------------------------------------
// Policies, autogen and matching.

interface NamedExpression {
    readonly name: string;
    readonly expression: string;
}

export interface LabelSelector {
    readonly matchLabels?: Record<string, string>;
    readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

interface ResourceRule {
    readonly apiGroups?: readonly string[];
    readonly apiVersions?: readonly string[];
    readonly operations?: readonly string[];
    readonly resources?: readonly string[];
    readonly resourceNames?: readonly string[];
    readonly scope?: string;
}

interface MatchResources {
    readonly namespaceSelector?: LabelSelector;
    readonly objectSelector?: LabelSelector;
    readonly resourceRules?: readonly ResourceRule[];
    readonly excludeResourceRules?: readonly ResourceRule[];
}

interface ValidatingPolicySpec {
    readonly matchConstraints?: MatchResources;
    readonly matchConditions?: readonly NamedExpression[];
    readonly variables?: readonly NamedExpression[];
    readonly validations?: readonly { expression: string; message?: string; messageExpression?: string }[];
    readonly validationActions?: readonly ValidationAction[];
    readonly failurePolicy?: "Fail" | "Ignore";
    readonly auditAnnotations?: readonly { key: string; valueExpression: string }[];
    readonly evaluation?: { admission?: { enabled?: boolean } };
    readonly autogen?: { podControllers?: { controllers?: readonly string[] } };
}

interface PolicyExceptionSpec {
    readonly policyRefs?: readonly { name: string; kind: string }[];
    readonly matchConditions?: readonly NamedExpression[];
    readonly images?: readonly string[];
    readonly allowedValues?: readonly string[];
    readonly expiresAt?: string;
}

export interface Target {
    readonly group: string;
    readonly version: string;
    readonly resource: string;
    readonly kind: string;
}

/** Kyverno's autogen configs (pkg/cel/autogen/data.go): controller → its target and rewrite. */
export const autogenControllers: Readonly<Record<string, { target: Target; config: AutogenConfig }>> = {
    daemonsets: { target: { group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet" }, config: "defaults" },
    deployments: { target: { group: "apps", version: "v1", resource: "deployments", kind: "Deployment" }, config: "defaults" },
    replicasets: { target: { group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet" }, config: "defaults" },
    statefulsets: { target: { group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet" }, config: "defaults" },
    jobs: { target: { group: "batch", version: "v1", resource: "jobs", kind: "Job" }, config: "defaults" },
    cronjobs: { target: { group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob" }, config: "cronjobs" },
};

const replacements: Readonly<Record<AutogenConfig, readonly { from: string; to: string }[]>> = {
    defaults: [
        { from: "spec", to: "spec.template.spec" },
        { from: "metadata", to: "spec.template.metadata" },
    ],
    cronjobs: [
        { from: "spec", to: "spec.jobTemplate.spec.template.spec" },
        { from: "metadata", to: "spec.jobTemplate.spec.template.metadata" },
    ],
};

const identifierChar = /[A-Za-z0-9_]/;

/** Kyverno's replace(): every occurrence of `from`, except one followed by `.namespace` as a whole segment. */
function replaceUnprotected(text: string, from: string, to: string): string {
    let out = "";
    let rest = text;
    for (let i = rest.indexOf(from); i >= 0; i = rest.indexOf(from)) {
        const after = rest.slice(i + from.length);
        const isProtected = after.startsWith(".namespace") && (after.length === ".namespace".length || !identifierChar.test(after[".namespace".length]));
        out += rest.slice(0, i) + (isProtected ? from : to);
        rest = after;
    }
    return out + rest;
}

/** The autogen rewrite of a JSON text (the whole spec, as Kyverno marshals it). */
export function autogenRewrite(text: string, config: AutogenConfig): string {
    for (const { from, to } of replacements[config]) {
        text = replaceUnprotected(text, `object.${from}`, `object.${to}`);
        text = replaceUnprotected(text, `oldObject.${from}`, `oldObject.${to}`);
    }
    return text;
}

/** Kyverno's CanAutoGen: exactly one rule, for core v1 pods, with no object selector, exclusions or names. */
export function canAutogen(match: MatchResources | undefined): boolean {
    if (match === undefined) {
        return false;
    }
    const selector = match.objectSelector;
    if (selector !== undefined && (Object.keys(selector.matchLabels ?? {}).length > 0 || (selector.matchExpressions ?? []).length > 0)) {
        return false;
    }
    if ((match.excludeResourceRules ?? []).length !== 0 || (match.resourceRules ?? []).length !== 1) {
        return false;
    }
    const [rule] = match.resourceRules!;
    const only = (list: readonly string[] | undefined, value: string) => list !== undefined && list.length === 1 && list[0] === value;
    return (rule.resourceNames ?? []).length === 0 && only(rule.apiGroups, "") && only(rule.apiVersions, "v1") && only(rule.resources, "pods");
}

export interface AutogenPolicy {
    readonly config: AutogenConfig;
    readonly targets: readonly Target[];
    readonly spec: Record<string, unknown>;
}

/** What Kyverno generates for a ValidatingPolicy's pod controllers (its status.autogen.configs). */
export function autogenPolicies(policy: KubeObject): AutogenPolicy[] {
    const spec = (policy.spec ?? {}) as ValidatingPolicySpec;
    if (!canAutogen(spec.matchConstraints)) {
        return [];
    }
    const controllers = spec.autogen?.podControllers?.controllers ?? Object.keys(autogenControllers);
    const byConfig = new Map<AutogenConfig, Target[]>();
    for (const name of controllers) {
        const c = autogenControllers[name];
        if (c !== undefined) {
            byConfig.set(c.config, [...(byConfig.get(c.config) ?? []), c.target]);
        }
    }
    const operations = spec.matchConstraints!.resourceRules![0].operations ?? [];
    const out: AutogenPolicy[] = [];
    for (const config of [...byConfig.keys()].sort()) {
        const targets = byConfig.get(config)!.sort((a, b) => a.group.localeCompare(b.group) || a.version.localeCompare(b.version) || a.resource.localeCompare(b.resource));
        const groupVersions = [...new Set(targets.map((t) => `${t.group}/${t.version}`))].sort();
        const matchConstraints =
            operations.length === 0
                ? undefined
                : {
                      resourceRules: groupVersions.map((gv) => {
                          const [group, version] = gv.split("/");
                          const resources = [...new Set(targets.filter((t) => t.group === group && t.version === version).map((t) => t.resource))].sort();
                          return { apiGroups: [group], apiVersions: [version], resources, operations: [...operations] };
                      }),
                      ...(spec.matchConstraints!.namespaceSelector !== undefined ? { namespaceSelector: structuredClone(spec.matchConstraints!.namespaceSelector) } : {}),
                  };
        const copy = { ...structuredClone(spec), matchConstraints } as Record<string, unknown>;
        out.push({ config, targets, spec: JSON.parse(autogenRewrite(JSON.stringify(copy), config)) as Record<string, unknown> });
    }
    return out;
}

const builtinResources: Readonly<Record<string, string>> = {
    Pod: "pods",
    Namespace: "namespaces",
    Endpoints: "endpoints",
    ...Object.fromEntries(Object.values(autogenControllers).map((c) => [c.target.kind, c.target.resource])),
};

/**
 * The resource of a kind: its plural as the API server's RESTMapper guesses it
 * (meta.UnsafeGuessKindToResource: lower case; -s → -ses, -y → -ies, else -s), which is what
 * every built-in kind and every CRD of the platform is served as.
 */
export function resourceOf(kind: string): string {
    const known = builtinResources[kind];
    if (known !== undefined) {
        return known;
    }
    const lower = kind.toLowerCase();
    return lower.endsWith("s") ? `${lower}es` : lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

function groupVersionOf(o: KubeObject): { group: string; version: string } {
    const [a, b] = o.apiVersion.split("/");
    return b === undefined ? { group: "", version: a } : { group: a, version: b };
}

/** Label selector semantics (k8s.io/apimachinery labels.Selector): all terms must hold. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
    if (selector === undefined) {
        return true;
    }
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    return (selector.matchExpressions ?? []).every((e) => expressionHolds(e, labels));
}

function expressionHolds(e: { key: string; operator: string; values?: readonly string[] }, labels: Readonly<Record<string, string>>): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
        case "In":
            return has && values.includes(labels[e.key]);
        case "NotIn":
            return !has || !values.includes(labels[e.key]);
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
        default:
            throw new Error(`label selector operator ${e.operator} is not one of In, NotIn, Exists, DoesNotExist`);
    }
}

function ruleMatches(rule: ResourceRule, gvr: { group: string; version: string; resource: string }, operation: string, namespaced: boolean, name: string): boolean {
    const any = (list: readonly string[] | undefined, value: string) => (list ?? []).some((x) => x === "*" || x === value);
    const scope = rule.scope ?? "*";
    return (
        any(rule.apiGroups, gvr.group) &&
        any(rule.apiVersions, gvr.version) &&
        (rule.resources ?? []).some((r) => r === "*" || r === gvr.resource || r === "*/*") &&
        any(rule.operations, operation) &&
        (scope === "*" || (scope === "Namespaced") === namespaced) &&
        ((rule.resourceNames ?? []).length === 0 || (rule.resourceNames ?? []).includes(name))
    );
}

/**
 * The labels a namespaceSelector is matched against: the request's namespace's; a Namespace's
 * own; none for another cluster-scoped object, which every namespaceSelector matches.
 */
function namespaceSelectorMatches(selector: LabelSelector | undefined, req: AdmissionRequest, namespaceLabels: Record<string, string> | undefined): boolean {
    if (req.object.kind === "Namespace" && groupVersionOf(req.object).group === "") {
        return selectorMatches(selector, { "kubernetes.io/metadata.name": req.object.metadata.name ?? "", ...(req.object.metadata.labels ?? {}) });
    }
    return namespaceLabels === undefined || selectorMatches(selector, namespaceLabels);
}

function constraintsMatch(match: MatchResources | undefined, req: AdmissionRequest, namespaceLabels: Record<string, string> | undefined): boolean {
    if (match === undefined) {
        return false;
    }
    const { group, version } = groupVersionOf(req.object);
    const gvr = { group, version, resource: resourceOf(req.object.kind) };
    const operation = req.operation ?? "CREATE";
    const name = req.object.metadata.name ?? "";
    const namespaced = req.namespace !== undefined;
    if (!namespaceSelectorMatches(match.namespaceSelector, req, namespaceLabels)) {
        return false;
    }
    const objectLabels = [req.object, req.oldObject].filter((o): o is KubeObject => o !== undefined).map((o) => o.metadata.labels ?? {});
    if (!objectLabels.some((labels) => selectorMatches(match.objectSelector, labels))) {
        return false;
    }
    return (
        (match.resourceRules ?? []).some((r) => ruleMatches(r, gvr, operation, namespaced, name)) &&
        !(match.excludeResourceRules ?? []).some((r) => ruleMatches(r, gvr, operation, namespaced, name))
    );
}

// ---------------------------------------------------------------------------------------------
// Admission.

const isKyverno = (o: KubeObject, kind: string) => o.kind === kind && o.apiVersion.startsWith("policies.kyverno.io/");

const actionRank: readonly ValidationAction[] = ["Deny", "Warn", "Audit"];

interface Compiled {
    readonly policy: string;
    readonly autogen?: AutogenConfig;
    readonly spec: ValidatingPolicySpec;
}

/** Rewritten once per policy object: a render admits thousands of objects against the same policies. */
const compiledCache = new WeakMap<KubeObject, Compiled[]>();

/** The policies Kyverno compiles from one ValidatingPolicy: as written, and one per autogen config. */
function compiledPolicies(policy: KubeObject): Compiled[] {
    const cached = compiledCache.get(policy);
    if (cached !== undefined) {
        return cached;
    }
    const name = policy.metadata.name ?? "";
    const compiled = [
        { policy: name, spec: (policy.spec ?? {}) },
        ...autogenPolicies(policy).map((a) => ({ policy: name, autogen: a.config, spec: a.spec })),
    ];
    compiledCache.set(policy, compiled);
    return compiled;
}

/** Evaluates matchConditions as Kyverno does: any false → no match; otherwise errors count by failurePolicy. */
function conditionsMatch(conditions: readonly NamedExpression[], data: Record<string, unknown>): { match: boolean; errors: string[] } {
    const errors: string[] = [];
    for (const c of conditions) {
        const out = evaluate(c.expression, data);
        if (!out.ok) {
            errors.push(`${c.name}: ${out.error}`);
        } else if (typeof out.value !== "boolean") {
            errors.push(`${c.name}: expected a bool, got ${typeof out.value}`);
        } else if (!out.value) {
            return { match: false, errors: [] };
        }
    }
    return { match: errors.length === 0, errors };
}

/** Kyverno's lazy variables: each evaluated with the others available; one that fails is left out. */
function evaluateVariables(variables: readonly NamedExpression[], data: Record<string, unknown>): { values: Record<string, unknown>; errors: Record<string, string> } {
    const values: Record<string, unknown> = {};
    let errors: Record<string, string> = {};
    let pending = [...variables];
    for (let progress = true; pending.length > 0 && progress; ) {
        progress = false;
        errors = {};
        const next: NamedExpression[] = [];
        for (const v of pending) {
            const out = evaluate(v.expression, { ...data, variables: values });
            if (out.ok) {
                values[v.name] = out.value;
                progress = true;
            } else {
                errors[v.name] = out.error;
                next.push(v);
            }
        }
        pending = next;
    }
    return { values, errors };
}

/** The admission verdicts of `policies` (ValidatingPolicies and PolicyExceptions; other kinds are ignored) for one request. */
export function admit(policies: readonly KubeObject[], request: AdmissionRequest, options: AdmitOptions = {}): AdmissionResult {
    const feature = options.policyExceptions ?? { enabled: true, namespace: exceptionNamespace };
    const now = options.now ?? new Date();
    const exceptions = feature.enabled
        ? policies.filter(
              (p) =>
                  isKyverno(p, "PolicyException") &&
                  (feature.namespace === "" || feature.namespace === "*" || p.metadata.namespace === feature.namespace) &&
                  ((p.spec as PolicyExceptionSpec | undefined)?.expiresAt === undefined || Date.parse((p.spec as PolicyExceptionSpec).expiresAt!) > now.getTime()),
          )
        : [];
    const nsName = request.namespace?.metadata.name ?? "";
    // A cluster-scoped object has no namespace: namespaceObject is null, and request.namespace "".
    const namespace: KubeObject | undefined =
        request.namespace === undefined
            ? undefined
            : {
                  ...request.namespace,
                  metadata: { ...request.namespace.metadata, labels: { "kubernetes.io/metadata.name": nsName, ...(request.namespace.metadata.labels ?? {}) } },
              };
    const namespaceLabels = namespace?.metadata.labels;
    if (!namespaceSelectorMatches(options.webhookNamespaceSelector ?? defaultWebhookNamespaceSelector, request, namespaceLabels)) {
        return { allowed: true, reachesKyverno: false, matched: [], verdicts: [] };
    }
    const placed = namespace === undefined ? request.object : { ...request.object, metadata: { ...request.object.metadata, namespace: request.object.metadata.namespace ?? nsName } };
    const object = celTyped(placed);
    const oldObject = request.oldObject === undefined ? null : celTyped(request.oldObject);
    const { group, version } = groupVersionOf(request.object);
    const name = request.object.metadata.name ?? "";
    const requestValue = celTyped({
        uid: "00000000-0000-0000-0000-000000000000",
        kind: { group, version, kind: request.object.kind },
        resource: { group, version, resource: resourceOf(request.object.kind) },
        requestKind: { group, version, kind: request.object.kind },
        ...(name !== "" ? { name } : {}),
        namespace: nsName,
        operation: request.operation ?? "CREATE",
        // The API server always sends groups (an authenticated user is at least in system:authenticated).
        userInfo: { groups: ["system:authenticated"], ...(request.userInfo ?? { username: "fawkes-offline-admission" }) },
        dryRun: false,
    }) as Record<string, unknown>;
    // The object typed once: it is most of the request, and a render admits thousands.
    requestValue.object = object;
    if (oldObject !== null) {
        requestValue.oldObject = oldObject;
    }
    const base = { object, oldObject, namespaceObject: namespace === undefined ? null : celTyped(namespace), request: requestValue };

    const matched: string[] = [];
    const verdicts: Verdict[] = [];
    for (const policy of policies.filter((p) => isKyverno(p, "ValidatingPolicy"))) {
        const refs = exceptions.filter((e) => ((e.spec as PolicyExceptionSpec | undefined)?.policyRefs ?? []).some((r) => r.name === policy.metadata.name && r.kind === "ValidatingPolicy"));
        for (const compiled of compiledPolicies(policy)) {
            const { spec } = compiled;
            if (spec.evaluation?.admission?.enabled === false || !constraintsMatch(spec.matchConstraints, request, namespaceLabels)) {
                continue;
            }
            const actions = spec.validationActions !== undefined && spec.validationActions.length > 0 ? [...spec.validationActions] : (["Deny"] as ValidationAction[]);
            const action = actionRank.find((a) => actions.includes(a))!;
            const ignoreErrors = spec.failurePolicy === "Ignore";
            const verdict = (v: Omit<Verdict, "policy" | "autogen" | "action" | "actions" | "denies">, exemptedBy: readonly string[]): Verdict => ({
                policy: compiled.policy,
                ...(compiled.autogen !== undefined ? { autogen: compiled.autogen } : {}),
                action,
                actions,
                ...v,
                ...(exemptedBy.length > 0 ? { exemptedBy } : {}),
                denies: action === "Deny" && exemptedBy.length === 0 && !(v.error !== undefined && ignoreErrors),
            });

            // Exceptions, before anything of the policy's own.
            const exemptedBy: string[] = [];
            const allowedImages: string[] = [];
            const allowedValues: string[] = [];
            let exceptionError: Verdict | undefined;
            for (const e of refs) {
                const espec = (e.spec ?? {}) as PolicyExceptionSpec;
                const m = conditionsMatch(espec.matchConditions ?? [], base);
                if (m.errors.length > 0) {
                    if (exemptedBy.length === 0) {
                        const id = `${e.metadata.namespace ?? ""}/${e.metadata.name ?? ""}`;
                        exceptionError = verdict({ validation: -1, expression: "", message: `policy exception ${id} failed to evaluate`, error: m.errors.join("; ") }, []);
                        break;
                    }
                    continue;
                }
                if (m.match) {
                    if ((espec.images ?? []).length === 0 && (espec.allowedValues ?? []).length === 0) {
                        exemptedBy.push(`${e.metadata.namespace ?? ""}/${e.metadata.name ?? ""}`);
                    } else if (exemptedBy.length === 0) {
                        allowedImages.push(...(espec.images ?? []));
                        allowedValues.push(...(espec.allowedValues ?? []));
                    }
                }
            }
            if (exceptionError !== undefined) {
                matched.push(label(compiled));
                verdicts.push(exceptionError);
                continue;
            }
            const data: Record<string, unknown> = { ...base, exceptions: { allowedImages, allowedValues } };
            const conditions = conditionsMatch(spec.matchConditions ?? [], data);
            if (!conditions.match) {
                if (conditions.errors.length > 0 && !ignoreErrors) {
                    matched.push(label(compiled));
                    verdicts.push(verdict({ validation: -1, expression: "", message: "matchConditions failed to evaluate", error: conditions.errors.join("; ") }, exemptedBy));
                }
                continue;
            }
            matched.push(label(compiled));
            const vars = evaluateVariables(spec.variables ?? [], data);
            data.variables = vars.values;
            const varErrors = Object.entries(vars.errors).map(([k, err]) => `variables.${k}: ${err}`);
            for (const [index, validation] of (spec.validations ?? []).entries()) {
                const out = evaluate(validation.expression, data);
                const failed = !out.ok ? out.error + (varErrors.length > 0 ? ` (${varErrors.join("; ")})` : "") : typeof out.value !== "boolean" ? `expected a bool, got ${typeof out.value}` : undefined;
                if (failed === undefined && out.ok && out.value === true) {
                    continue;
                }
                let message = validation.message ?? "";
                if (failed === undefined && validation.messageExpression !== undefined) {
                    const m = evaluate(validation.messageExpression, data);
                    message = !m.ok ? `failed to evaluate message expression: ${m.error}` : typeof m.value === "string" ? m.value : "failed to convert message expression to string";
                }
                if (message === "") {
                    message = `CEL expression validation failed at index ${index}`;
                }
                verdicts.push(verdict({ validation: index, expression: validation.expression, message, ...(failed !== undefined ? { error: failed } : {}) }, exemptedBy));
                if (options.everyValidation !== true) {
                    break;
                }
            }
        }
    }
    return { allowed: !verdicts.some((v) => v.denies), reachesKyverno: true, matched, verdicts };
}

const label = (c: Compiled) => (c.autogen === undefined ? c.policy : `${c.policy}[${c.autogen}]`);

// ---------------------------------------------------------------------------------------------
// The Pod a controller creates.

/** Pod-template-hash style suffix: deterministic, from the template, in the alphabet Kubernetes uses. */
function shortHash(value: unknown, length: number): string {
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    let h = 2166136261;
    for (const ch of JSON.stringify(value)) {
        h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    }
    let out = "";
    for (let i = 0; i < length; i++) {
        out += alphabet[h % alphabet.length];
        h = Math.imul(h ^ i, 16777619) >>> 0;
    }
    return out;
}

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
type Container = { name?: string; resources?: Resources; [field: string]: unknown };

/** The LimitRange as the API server stores it (SetDefaults_LimitRangeItem for Container items). */
function containerDefaults(limitRange: KubeObject): { limits: Record<string, unknown>; requests: Record<string, unknown> }[] {
    const items = ((limitRange.spec as { limits?: Record<string, Record<string, unknown> | string>[] } | undefined)?.limits ?? []).filter((i) => i.type === "Container");
    return items.map((item) => {
        const max = (item.max ?? {}) as Record<string, unknown>;
        const min = (item.min ?? {}) as Record<string, unknown>;
        const limits = { ...max, ...((item.default ?? {}) as Record<string, unknown>) };
        const requests = { ...min, ...limits, ...((item.defaultRequest ?? {}) as Record<string, unknown>) };
        return { limits, requests };
    });
}

/**
 * The Pod a controller creates: its template's metadata and spec in the controller's namespace,
 * named as the controller names it (generateName `<deployment>-<hash>-`, `<daemonset>-`,
 * `<job>-`, `<cronjob>-<time>-`; `<statefulset>-0`), then what the API server does to a Pod
 * before validating admission: requests default to limits (SetDefaults_Pod), and the
 * LimitRanger plugin fills each container's and init container's missing requests and limits
 * from the namespace's LimitRange `Container` defaults. A Pod is returned with only the latter two.
 */
export function podFromController(controller: KubeObject, limitRanges: readonly KubeObject[] = []): KubeObject {
    const meta = controller.metadata;
    const ns = meta.namespace;
    const name = meta.name ?? "";
    const spec = (controller.spec ?? {});
    type Template = { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
    const owner = (kind: string, apiVersion: string, ownerName: string) => [{ apiVersion, kind, name: ownerName, controller: true, blockOwnerDeletion: true }];
    let template: Template;
    let naming: Record<string, unknown>;
    let extraLabels: Record<string, string> = {};
    switch (controller.kind) {
        case "Pod":
            template = { metadata: meta, spec };
            naming = {};
            break;
        case "Deployment": {
            template = spec.template as Template;
            const hash = shortHash(template, 10);
            naming = { generateName: `${name}-${hash}-`, ownerReferences: owner("ReplicaSet", "apps/v1", `${name}-${hash}`) };
            extraLabels = { "pod-template-hash": hash };
            break;
        }
        case "ReplicaSet":
            template = spec.template as Template;
            naming = { generateName: `${name}-`, ownerReferences: owner("ReplicaSet", "apps/v1", name) };
            break;
        case "DaemonSet":
            template = spec.template as Template;
            naming = { generateName: `${name}-`, ownerReferences: owner("DaemonSet", "apps/v1", name) };
            extraLabels = { "controller-revision-hash": shortHash(template, 10), "pod-template-generation": "1" };
            break;
        case "StatefulSet":
            template = spec.template as Template;
            naming = { name: `${name}-0`, ownerReferences: owner("StatefulSet", "apps/v1", name) };
            extraLabels = { "statefulset.kubernetes.io/pod-name": `${name}-0`, "apps.kubernetes.io/pod-index": "0", "controller-revision-hash": `${name}-${shortHash(template, 10)}` };
            break;
        case "Job":
            template = spec.template as Template;
            naming = { generateName: `${name}-`, ownerReferences: owner("Job", "batch/v1", name) };
            extraLabels = { "batch.kubernetes.io/job-name": name, "job-name": name };
            break;
        case "CronJob": {
            template = (spec.jobTemplate as { spec: { template: Template } }).spec.template;
            // A Job is named after its scheduled time in minutes since the epoch.
            const job = `${name}-29000000`;
            naming = { generateName: `${job}-`, ownerReferences: owner("Job", "batch/v1", job) };
            extraLabels = { "batch.kubernetes.io/job-name": job, "job-name": job };
            break;
        }
        default:
            throw new Error(`${controller.kind} ${name}: not a pod controller (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) or Pod`);
    }
    const templateMeta = structuredClone(template.metadata ?? {}) as KubeObject["metadata"];
    const podSpec = structuredClone(template.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
    const annotations: Record<string, string> = { ...(templateMeta.annotations ?? {}) };
    const isPod = controller.kind === "Pod";
    const keptMeta = { ...templateMeta };
    delete keptMeta.name;
    delete keptMeta.generateName;
    delete keptMeta.namespace;
    const pod: KubeObject = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            ...(isPod ? templateMeta : keptMeta),
            ...naming,
            ...(ns !== undefined ? { namespace: ns } : {}),
            labels: { ...(templateMeta.labels ?? {}), ...extraLabels },
        },
        spec: podSpec,
    };
    const groups = [podSpec.containers ?? [], podSpec.initContainers ?? []];
    // SetDefaults_Pod: a limit without a request makes the request.
    for (const c of groups.flat()) {
        if (c.resources?.limits !== undefined) {
            c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
        }
    }
    // The LimitRanger admission plugin, LimitRange by LimitRange.
    const set: string[] = [];
    for (const lr of limitRanges.filter((l) => l.metadata.namespace === undefined || ns === undefined || l.metadata.namespace === ns)) {
        for (const defaults of containerDefaults(lr)) {
            for (const c of groups.flat()) {
                const resources = (c.resources ??= {});
                const add = (field: "requests" | "limits", values: Record<string, unknown>) => {
                    const missing = Object.keys(values).filter((k) => resources[field]?.[k] === undefined);
                    if (missing.length > 0) {
                        resources[field] = { ...(resources[field] ?? {}), ...Object.fromEntries(missing.map((k) => [k, values[k]])) };
                        set.push(`${missing.join(", ")} ${field === "requests" ? "request" : "limit"} for ${groups[1].includes(c) ? "init container" : "container"} ${c.name ?? ""}`);
                    }
                };
                add("requests", defaults.requests);
                add("limits", defaults.limits);
            }
        }
    }
    if (set.length > 0) {
        annotations["kubernetes.io/limit-ranger"] = `LimitRanger plugin set: ${set.join("; ")}`;
    }
    if (Object.keys(annotations).length > 0) {
        pod.metadata.annotations = annotations;
    }
    return pod;
}

// ---------------------------------------------------------------------------------------------
// The functions a policy calls, against what @bufbuild/cel implements.

/** Operators the @bufbuild/cel planner evaluates itself; every other call goes to its function registry. */
const plannerBuiltins = new Set(["_&&_", "_||_", "_?_:_", "_[_]", "_[?_]", "_?._", "@not_strictly_false", "__not_strictly_false__"]);

export interface ExpressionUse {
    /** Where the expression sits, e.g. `spec.validations[0].expression` (`autogen[cronjobs].` for a rewritten copy). */
    readonly path: string;
    readonly expression: string;
    /** Functions and macros it calls (method names as `.name`, qualified ones in full). */
    readonly functions: readonly string[];
    /** What @bufbuild/cel lacks or rejects: missing functions, wrong arities, unknown variables, parse errors. */
    readonly problems: readonly string[];
}

type Expr = { exprKind: { case: string | undefined; value?: unknown } };
type CallValue = { target?: Expr; function: string; args: Expr[] };

/** `a.b.c` of an identifier chain, or undefined. */
function qualifiedName(e: Expr | undefined): string | undefined {
    if (e?.exprKind.case === "identExpr") {
        return (e.exprKind.value as { name: string }).name;
    }
    if (e?.exprKind.case === "selectExpr") {
        const s = e.exprKind.value as { operand?: Expr; field: string; testOnly: boolean };
        const inner = s.testOnly ? undefined : qualifiedName(s.operand);
        return inner === undefined ? undefined : `${inner}.${s.field}`;
    }
    return undefined;
}

function analyse(expression: string, roots: ReadonlySet<string>, declaredVariables: ReadonlySet<string> | undefined): { functions: string[]; problems: string[] } {
    let parsed: ReturnType<typeof parse>;
    let root: unknown;
    let macros: unknown;
    try {
        parsed = parse(expression);
        root = parsed.expr;
        macros = Object.values(parsed.sourceInfo?.macroCalls ?? {});
    } catch (e) {
        return { functions: [], problems: [`does not parse: ${e instanceof Error ? e.message : String(e)}`] };
    }
    const functions = new Set<string>();
    const problems = new Set<string>();
    for (const macro of macros as Expr[]) {
        if (macro.exprKind.case === "callExpr") {
            const call = macro.exprKind.value as CallValue;
            functions.add(call.target !== undefined ? `.${call.function}` : call.function);
        }
    }
    const walk = (e: Expr | undefined, scope: ReadonlySet<string>): void => {
        if (e === undefined) {
            return;
        }
        const v = e.exprKind.value as Record<string, unknown>;
        switch (e.exprKind.case) {
            case "identExpr": {
                const name = v.name as string;
                if (!scope.has(name) && !roots.has(name)) {
                    problems.add(`unknown variable ${name}`);
                }
                return;
            }
            case "selectExpr": {
                const operand = v.operand as Expr;
                if (declaredVariables !== undefined && qualifiedName(operand) === "variables" && !declaredVariables.has(v.field as string)) {
                    problems.add(`unknown variable variables.${v.field as string}`);
                }
                walk(operand, scope);
                return;
            }
            case "callExpr": {
                const call = v as unknown as CallValue;
                call.args.forEach((a) => walk(a, scope));
                if (plannerBuiltins.has(call.function)) {
                    walk(call.target, scope);
                    return;
                }
                const qualified = call.target !== undefined ? qualifiedName(call.target) : undefined;
                const root = qualified?.split(".")[0];
                if (qualified !== undefined && root !== undefined && !scope.has(root) && !roots.has(root)) {
                    // `optional.of(x)`, `math.greatest(...)`: a qualified function, not a method.
                    const name = `${qualified}.${call.function}`;
                    functions.add(name);
                    const group = env.funcs.find(name);
                    if (group === undefined) {
                        problems.add(`missing function ${name}`);
                    } else if (![...group].some((f) => f.target === undefined && f.arguments.length === call.args.length)) {
                        problems.add(`no overload of ${name} takes ${call.args.length} argument(s)`);
                    }
                    return;
                }
                walk(call.target, scope);
                const shown = call.target !== undefined ? `.${call.function}` : call.function;
                functions.add(shown);
                const group = env.funcs.find(call.function);
                if (group === undefined) {
                    problems.add(`missing function ${shown}`);
                } else if (![...group].some((f) => (f.target !== undefined) === (call.target !== undefined) && f.arguments.length === call.args.length)) {
                    problems.add(`no overload of ${shown} takes ${call.args.length} argument(s)${call.target !== undefined ? " on a receiver" : ""}`);
                }
                return;
            }
            case "listExpr":
                (v.elements as Expr[]).forEach((x) => walk(x, scope));
                return;
            case "structExpr":
                for (const entry of v.entries as { keyKind: { case: string; value: unknown }; value: Expr }[]) {
                    if (entry.keyKind.case === "mapKey") {
                        walk(entry.keyKind.value as Expr, scope);
                    }
                    walk(entry.value, scope);
                }
                return;
            case "comprehensionExpr": {
                const c = v as { iterVar: string; iterVar2?: string; accuVar: string; iterRange: Expr; accuInit: Expr; loopCondition: Expr; loopStep: Expr; result: Expr };
                walk(c.iterRange, scope);
                walk(c.accuInit, scope);
                const inner = new Set([...scope, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
                walk(c.loopCondition, inner);
                walk(c.loopStep, inner);
                walk(c.result, new Set([...scope, c.accuVar]));
                return;
            }
            default:
                return;
        }
    };
    walk(root as Expr, new Set());
    try {
        plan(env, parsed);
    } catch (e) {
        problems.add(`cannot be planned: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { functions: [...functions].sort(), problems: [...problems] };
}

const policyRoots = new Set(["object", "oldObject", "request", "namespaceObject", "variables", "exceptions"]);
const conditionRoots = new Set(["object", "oldObject", "request", "namespaceObject"]);

/** Every CEL expression of a ValidatingPolicy (with its autogen copies where they differ) or PolicyException. */
function expressionsOf(policy: KubeObject): { path: string; expression: string; roots: ReadonlySet<string>; variables?: ReadonlySet<string> }[] {
    const out: { path: string; expression: string; roots: ReadonlySet<string>; variables?: ReadonlySet<string> }[] = [];
    const fromSpec = (spec: ValidatingPolicySpec & PolicyExceptionSpec, prefix: string) => {
        const variables = new Set((spec.variables ?? []).map((v) => v.name));
        (spec.matchConditions ?? []).forEach((c, i) => out.push({ path: `${prefix}spec.matchConditions[${i}].expression`, expression: c.expression, roots: conditionRoots }));
        (spec.variables ?? []).forEach((v, i) => out.push({ path: `${prefix}spec.variables[${i}].expression`, expression: v.expression, roots: policyRoots, variables }));
        (spec.validations ?? []).forEach((v, i) => {
            out.push({ path: `${prefix}spec.validations[${i}].expression`, expression: v.expression, roots: policyRoots, variables });
            if (v.messageExpression !== undefined) {
                out.push({ path: `${prefix}spec.validations[${i}].messageExpression`, expression: v.messageExpression, roots: policyRoots, variables });
            }
        });
        (spec.auditAnnotations ?? []).forEach((a, i) => out.push({ path: `${prefix}spec.auditAnnotations[${i}].valueExpression`, expression: a.valueExpression, roots: policyRoots, variables }));
    };
    fromSpec((policy.spec ?? {}), "");
    if (isKyverno(policy, "ValidatingPolicy")) {
        const written = new Set(out.map((e) => e.expression));
        for (const a of autogenPolicies(policy)) {
            const before = out.length;
            fromSpec(a.spec, `autogen[${a.config}].`);
            out.splice(before, out.length - before, ...out.slice(before).filter((e) => !written.has(e.expression)));
        }
    }
    return out;
}

/** The functions and macros each expression of a policy (or exception) calls, and what @bufbuild/cel lacks of them. */
export function policyFunctions(policy: KubeObject): ExpressionUse[] {
    return expressionsOf(policy).map((e) => ({ path: e.path, expression: e.expression, ...analyse(e.expression, e.roots, e.variables) }));
}

/** One line per problem: the policy, where, the expression and what is missing. */
export function functionProblems(policies: readonly KubeObject[]): string[] {
    return policies.flatMap((p) =>
        policyFunctions(p).flatMap((use) => use.problems.map((problem) => `${p.kind} ${p.metadata.name ?? ""}: ${use.path} \`${use.expression}\`: ${problem}`)),
    );
}

/** Throws, naming every policy, expression and missing function, unless the evaluator implements all a policy calls. */
export function checkFunctions(policies: readonly KubeObject[]): void {
    const problems = functionProblems(policies);
    if (problems.length > 0) {
        throw new Error(`CEL the offline evaluator (@bufbuild/cel) cannot run:\n${problems.join("\n")}`);
    }
}
