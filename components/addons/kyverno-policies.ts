// The platform's baseline admission policies as Kyverno ClusterPolicy objects (pure data).
//
// Every rule audits everywhere and is enforced in the namespaces the platform owns
// (labelled app.kubernetes.io/part-of=fawkes). An add-on that cannot meet a policy is listed
// in its catalog entry's policyExceptions with the reason; its namespace is then audited,
// not enforced, for that one policy. The policies themselves are never weakened.

import type { CatalogApp } from "../catalog";
import { partOfLabel } from "../tenancy";

export type PolicyName =
    | "require-app-name-label"
    | "require-requests-limits"
    | "disallow-privileged-containers"
    | "disallow-host-namespaces"
    | "require-run-as-non-root"
    | "disallow-latest-tag";

type Pattern = Record<string, unknown>;

interface RuleSpec {
    readonly name: string;
    readonly message: string;
    readonly pattern?: Pattern;
    readonly anyPattern?: Pattern[];
}

/** Applies a per-container pattern to containers, init containers and ephemeral containers. */
function everyContainer(container: Pattern): Pattern {
    return { spec: { containers: [container], "=(initContainers)": [container], "=(ephemeralContainers)": [container] } };
}

const rules: Readonly<Record<PolicyName, { title: string; rules: RuleSpec[] }>> = {
    "require-app-name-label": {
        title: "Pods carry app.kubernetes.io/name",
        rules: [{ name: "app-name-label", message: "Label the pod with app.kubernetes.io/name.", pattern: { metadata: { labels: { "app.kubernetes.io/name": "?*" } } } }],
    },
    "require-requests-limits": {
        title: "Containers set CPU and memory requests and limits",
        rules: [
            {
                name: "requests-and-limits",
                message: "Set resources.requests and resources.limits for cpu and memory on every container.",
                pattern: everyContainer({ resources: { requests: { cpu: "?*", memory: "?*" }, limits: { cpu: "?*", memory: "?*" } } }),
            },
        ],
    },
    "disallow-privileged-containers": {
        title: "No privileged containers",
        rules: [{ name: "privileged", message: "Privileged containers are not allowed.", pattern: everyContainer({ "=(securityContext)": { "=(privileged)": "false" } }) }],
    },
    "disallow-host-namespaces": {
        title: "No host network, PID or IPC namespaces",
        rules: [
            {
                name: "host-namespaces",
                message: "hostNetwork, hostPID and hostIPC must be unset or false.",
                pattern: { spec: { "=(hostNetwork)": "false", "=(hostPID)": "false", "=(hostIPC)": "false" } },
            },
        ],
    },
    "require-run-as-non-root": {
        title: "Containers run as non-root",
        rules: [
            {
                name: "run-as-non-root",
                message: "Set runAsNonRoot: true on the pod, or on every container.",
                anyPattern: [
                    { spec: { securityContext: { runAsNonRoot: "true" }, containers: [{ "=(securityContext)": { "=(runAsNonRoot)": "true" } }] } },
                    everyContainer({ securityContext: { runAsNonRoot: "true" } }),
                ],
            },
        ],
    },
    "disallow-latest-tag": {
        title: "Images are pinned: a tag other than latest, or a digest",
        rules: [
            { name: "require-tag", message: "Give every image a tag or a digest.", pattern: everyContainer({ image: "*:*" }) },
            { name: "no-latest", message: "The :latest tag is not allowed; pin a version.", pattern: everyContainer({ image: "!*:latest" }) },
        ],
    },
};

export const policyNames = Object.keys(rules) as PolicyName[];

/** Namespaces whose add-on documents an exception to `policy`. */
export function exceptedNamespaces(policy: PolicyName, apps: readonly CatalogApp[]): string[] {
    return apps.filter((a) => a.policyExceptions.some((e) => e.policy === policy)).map((a) => a.namespace);
}

export function clusterPolicy(policy: PolicyName, apps: readonly CatalogApp[]): Record<string, unknown> {
    const excepted = exceptedNamespaces(policy, apps);
    const enforcedIn = {
        matchLabels: { ...partOfLabel },
        ...(excepted.length > 0 ? { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: excepted }] } : {}),
    };
    const spec = rules[policy];
    return {
        apiVersion: "kyverno.io/v1",
        kind: "ClusterPolicy",
        metadata: {
            name: policy,
            annotations: { "policies.kyverno.io/title": spec.title, "policies.kyverno.io/category": "Fawkes baseline", "policies.kyverno.io/subject": "Pod" },
            labels: { ...partOfLabel },
        },
        spec: {
            background: true,
            rules: spec.rules.map((rule) => ({
                name: rule.name,
                match: { any: [{ resources: { kinds: ["Pod"] } }] },
                validate: {
                    failureAction: "Audit",
                    failureActionOverrides: [{ action: "Enforce", namespaceSelector: enforcedIn }],
                    message: rule.message,
                    ...(rule.pattern ? { pattern: rule.pattern } : { anyPattern: rule.anyPattern }),
                },
            })),
        },
    };
}
