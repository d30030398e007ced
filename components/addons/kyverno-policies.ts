// The platform's baseline admission policies as Kyverno CEL ValidatingPolicies
// (policies.kyverno.io/v1, served by Kyverno 1.19), and the catalog's documented exceptions
// as Kyverno PolicyExceptions: pure data. kyverno.ts creates them after the Kyverno release;
// scripts/render/admission.ts evaluates these very objects offline.
//
// Enforce here, audit elsewhere. A ValidatingPolicy's validationActions hold in every namespace
// it matches (the CEL policies have no counterpart of ClusterPolicy's failureActionOverrides),
// so each rule family is a pair of policies with complementary namespaceSelectors:
//   <name>        validationActions [Deny]  in namespaces labelled app.kubernetes.io/part-of=fawkes;
//   <name>-audit  validationActions [Audit] in every other namespace (NotIn also matches a
//                 namespace without the label), with failurePolicy Ignore, so auditing never
//                 blocks a pod, not even while Kyverno is down.
//
// Pods, and their controllers through autogen. Each policy matches exactly one rule, core v1
// pods on CREATE and UPDATE, so Kyverno generates the checks of the pod controllers
// (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs: its default, so
// spec.autogen is left unset) from it: it rewrites `object.spec` to the pod template's spec (object.spec.template.spec, or
// object.spec.jobTemplate.spec.template.spec for a CronJob) and `object.metadata` likewise, as
// plain text over the whole policy spec. The expressions stay right after that rewrite: they
// read only the pod's spec and metadata (never object.kind, nor object.metadata.name, which a
// template lacks), guard every optional field with has(), and no message contains those paths.
// Ephemeral containers are checked where a pod carries them; note that they are added through
// the pods/ephemeralcontainers subresource, which these policies cannot match without losing
// autogen.
//
// Only the CEL core that the offline evaluator (@bufbuild/cel) implements is used: the macros
// (all, exists, has), `in`, size, contains/startsWith/endsWith and matches (RE2). No Kubernetes
// or Kyverno extension functions (quantity(), split(), ...), and no optional syntax (`.?`).
//
// Exceptions. An add-on that cannot meet a policy lists an exception in its catalog entry: the
// policy, the reason, and the workloads it covers. Each app, namespace and policy becomes one
// PolicyException in Kyverno's own namespace (the only namespace Kyverno reads exceptions
// from, see policyExceptionFeature), referencing both policies of the family. Its
// matchConditions hold only in the namespace those workloads run in (the app's own, or the
// one a workload names: node-exporter's) and only for objects named after one of
// the workloads: the controller itself (which the autogen'd checks see; an exception's
// conditions are not rewritten) and the objects it creates, which carry its name as a prefix
// (`<deployment>-<hash>` ReplicaSets; pods with a generateName `<deployment>-<hash>-`,
// `<daemonset>-`, `<job>-` or `<cronjob>-<time>-`, or a name `<statefulset>-<ordinal>`): the
// name, or the generateName, is the workload's or starts with `<workload>-`. The policies
// themselves are never weakened.

import type { CatalogApp } from "../catalog";
import { namespaceOfWorkload } from "../catalog/namespaces";
import { partOfLabel } from "../tenancy";
import { podControls, podVariables } from "./pod-security";

/** The platform's own rules, on top of the Pod Security Standards. */
type PlatformPolicyName = "require-app-name-label" | "require-requests-limits" | "require-run-as-non-root" | "disallow-latest-tag";

/** The Pod Security Standards' baseline controls (pod-security.ts), one policy each. */
type BaselinePolicyName =
    | "disallow-host-process"
    | "disallow-host-namespaces"
    | "disallow-privileged-containers"
    | "disallow-capabilities"
    | "disallow-host-path"
    | "disallow-host-ports"
    | "restrict-apparmor-profiles"
    | "restrict-selinux"
    | "restrict-proc-mount"
    | "restrict-seccomp"
    | "restrict-sysctls"
    | "disallow-probe-hosts";

export type PolicyName = PlatformPolicyName | BaselinePolicyName;

export type Manifest = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
};

const apiVersion = "policies.kyverno.io/v1";

/** Kyverno's namespace: the only one it reads PolicyExceptions from. */
export const exceptionNamespace = "kyverno";

/**
 * The Kyverno chart's `features.policyExceptions`: exceptions are ignored unless enabled, and
 * with a namespace only the exceptions in that namespace count (chart values.yaml of 3.9.x:
 * rendered as --enablePolicyException and --exceptionNamespace).
 */
export function policyExceptionFeature(namespace: string = exceptionNamespace): { enabled: true; namespace: string } {
    return { enabled: true, namespace };
}

/** A CEL string literal. */
export const celString = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** Variables a policy may declare; every expression names pod fields only (see autogen above). */
const variableExpressions = podVariables;

type VariableName = keyof typeof variableExpressions;

interface Validation {
    readonly expression: string;
    readonly message: string;
}

interface Family {
    readonly title: string;
    readonly description: string;
    readonly variables: readonly VariableName[];
    readonly validations: readonly Validation[];
}

/** An image reference's last path component has a tag: a colon in the registry host (`registry:5000/app`) is no tag. */
const taggedImage = "^([^/]+/)*[^/:@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";
/** A digest (OCI: algorithm ":" encoded), e.g. `@sha256:` and 64 hex digits. */
const digestedImage = "@[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$";
const latestImage = "^([^/]+/)*[^/:@]+:latest$";

const platformFamilies: Readonly<Record<PlatformPolicyName, Family>> = {
    "require-app-name-label": {
        title: "Pods carry app.kubernetes.io/name",
        description: "Every pod (and pod template) is labelled app.kubernetes.io/name with a non-empty value.",
        variables: [],
        validations: [
            {
                expression:
                    "has(object.metadata) && has(object.metadata.labels) && 'app.kubernetes.io/name' in object.metadata.labels && object.metadata.labels['app.kubernetes.io/name'] != ''",
                message: "Label the pod with app.kubernetes.io/name.",
            },
        ],
    },
    "require-requests-limits": {
        title: "Containers set CPU and memory requests and limits",
        description: "Every container and init container sets resources.requests and resources.limits for cpu and memory.",
        variables: ["containers"],
        validations: [
            {
                expression:
                    "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && has(c.resources.limits) && ['cpu', 'memory'].all(r, r in c.resources.requests && r in c.resources.limits))",
                message: "Set resources.requests and resources.limits for cpu and memory on every container and init container.",
            },
        ],
    },
    "require-run-as-non-root": {
        title: "Containers run as non-root",
        description:
            "Every container, init and ephemeral ones included, runs with runAsNonRoot: true, its own or inherited from the pod (a container setting false overrides the pod).",
        variables: ["allContainers", "podRunAsNonRoot"],
        validations: [
            {
                expression:
                    "variables.allContainers.all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot == true : variables.podRunAsNonRoot)",
                message: "Set runAsNonRoot: true on the pod (and false on no container), or on every container, init containers included.",
            },
        ],
    },
    "disallow-latest-tag": {
        title: "Images are pinned: a tag other than latest, or a digest",
        description: "Every image has a tag or a digest, and no image uses the tag latest.",
        variables: ["allContainers"],
        validations: [
            {
                expression: `variables.allContainers.all(c, has(c.image) && (c.image.matches(${celString(digestedImage)}) || c.image.matches(${celString(taggedImage)})))`,
                message: "Give every image a tag or a digest (in registry:5000/app the colon belongs to the registry: that image has no tag).",
            },
            {
                expression: `variables.allContainers.all(c, !has(c.image) || !c.image.matches(${celString(latestImage)}))`,
                message: "The :latest tag is not allowed; pin a version or a digest.",
            },
        ],
    },
};

/** The baseline controls, from pod-security.ts (its restricted ones are the API server's, through the namespace labels). */
const baselineFamilies = Object.fromEntries(
    podControls.filter((c) => c.level === "baseline").map((c) => [c.name, { title: c.title, description: c.description, variables: c.variables, validations: c.validations }]),
) as Record<BaselinePolicyName, Family>;

const families: Readonly<Record<PolicyName, Family>> = { ...baselineFamilies, ...platformFamilies };

export const policyNames = Object.keys(families) as PolicyName[];

export const isPolicyName = (name: string): name is PolicyName => (policyNames as string[]).includes(name);

/** The name of the policy that audits `policy` outside the platform's namespaces. */
export const auditPolicyName = (policy: PolicyName) => `${policy}-audit`;

const podRule = { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] };

/** Namespaces the platform owns: the policies are enforced there. */
const enforcedNamespaces = { matchLabels: { ...partOfLabel } };
const auditedNamespaces = { matchExpressions: Object.entries(partOfLabel).map(([key, value]) => ({ key, operator: "NotIn", values: [value] })) };

/** One policy of a family: the enforcing one, or its audit twin. */
export function validatingPolicy(policy: PolicyName, mode: "enforce" | "audit"): Manifest {
    const family = families[policy];
    const audit = mode === "audit";
    return {
        apiVersion,
        kind: "ValidatingPolicy",
        metadata: {
            name: audit ? auditPolicyName(policy) : policy,
            annotations: {
                "policies.kyverno.io/title": family.title,
                "policies.kyverno.io/category": policy in platformFamilies ? "Fawkes baseline" : "Pod Security Standards (Baseline)",
                "policies.kyverno.io/subject": "Pod",
                "policies.kyverno.io/description": `${family.description} ${audit ? "Audited outside the platform's namespaces." : "Enforced in the platform's namespaces."}`,
            },
            labels: { ...partOfLabel },
        },
        spec: {
            validationActions: [audit ? "Audit" : "Deny"],
            ...(audit ? { failurePolicy: "Ignore" } : {}),
            matchConstraints: {
                namespaceSelector: audit ? auditedNamespaces : enforcedNamespaces,
                resourceRules: [podRule],
            },
            ...(family.variables.length > 0 ? { variables: family.variables.map((name) => ({ name, expression: variableExpressions[name] })) } : {}),
            validations: family.validations.map((v) => ({ expression: v.expression, message: v.message })),
        },
    };
}

/** Every baseline policy: per family the enforcing policy, then its audit twin. */
export function validatingPolicies(): Manifest[] {
    return policyNames.flatMap((p) => [validatingPolicy(p, "enforce"), validatingPolicy(p, "audit")]);
}

/** CEL: the object is one of `workloads`, or was made by one (its name or generateName starts with `<workload>-`). */
export function workloadCondition(workloads: readonly string[]): string {
    // The controller itself, a StatefulSet's pods `<w>-<ordinal>`, and the pods a controller
    // names by generateName: `<w>-` (DaemonSet, Job), `<w>-<hash>-` for a Deployment's
    // ReplicaSet (the hash in Kubernetes' SafeEncodeString alphabet, no vowels) and
    // `<w>-<minutes>-` for a CronJob's Job. Not another workload named `<w>-<word>`.
    const name = "(has(object.metadata.name) && (object.metadata.name == w || object.metadata.name.matches('^' + w + '-[0-9]+$')))";
    const generateName =
        "(has(object.metadata.generateName) && (object.metadata.generateName == w + '-' || object.metadata.generateName.matches('^' + w + '-([bcdfghjklmnpqrstvwxz2456789]{1,10}|[0-9]{1,12})-$')))";
    return `[${workloads.map(celString).join(", ")}].exists(w, ${name} || ${generateName})`;
}

/** The name of the PolicyException for an app's workloads in `namespace` (its own namespace keeps the short name). */
const exceptionName = (app: CatalogApp, namespace: string, policy: PolicyName) => (namespace === app.namespace ? `${app.name}-${policy}` : `${app.name}-${namespace}-${policy}`);

/**
 * The PolicyExceptions of the catalog, in Kyverno's namespace: one per app, namespace and
 * policy, each holding only in the namespace its workloads run in (catalog Workload.namespace).
 */
export function policyExceptions(apps: readonly CatalogApp[], namespace: string = exceptionNamespace): Manifest[] {
    return apps.flatMap((app) => {
        const grouped = new Map<string, { namespace: string; policy: PolicyName; reasons: string[]; workloads: string[] }>();
        for (const e of app.policyExceptions) {
            if (!isPolicyName(e.policy)) {
                throw new Error(`${app.name}: policy exception for unknown policy ${e.policy} (known: ${policyNames.join(", ")})`);
            }
            if (e.workloads.length === 0) {
                throw new Error(`${app.name}: the exception to ${e.policy} names no workloads`);
            }
            for (const workload of e.workloads) {
                // A name the entry does not list as a workload runs in the app's own namespace, as workloads do by default.
                const where = namespaceOfWorkload(app, workload) ?? app.namespace;
                const key = `${where}/${e.policy}`;
                const entry = grouped.get(key) ?? { namespace: where, policy: e.policy, reasons: [], workloads: [] };
                if (!entry.reasons.includes(e.reason)) {
                    entry.reasons.push(e.reason);
                }
                if (!entry.workloads.includes(workload)) {
                    entry.workloads.push(workload);
                }
                grouped.set(key, entry);
            }
        }
        return [...grouped.values()].map(({ namespace: where, policy, reasons, workloads }) => ({
            apiVersion,
            kind: "PolicyException",
            metadata: {
                name: exceptionName(app, where, policy),
                namespace,
                labels: { ...partOfLabel, "fawkes.dev/app": app.name },
                annotations: { "fawkes.dev/reason": reasons.join("; ") },
            },
            spec: {
                policyRefs: [policy, auditPolicyName(policy)].map((name) => ({ name, kind: "ValidatingPolicy" })),
                matchConditions: [
                    { name: "app-namespace", expression: `request.namespace == ${celString(where)}` },
                    { name: "app-workloads", expression: workloadCondition(workloads) },
                ],
            },
        }));
    });
}
