// Admission rules for what Argo CD's projects cannot express, as Kyverno CEL ValidatingPolicies
// (policies.kyverno.io/v1) enforced cluster-wide: pure data, created by kyverno.ts after the
// Kyverno release and evaluated offline, over every rendered object, by scripts/render/admission.ts.
//
// Who is trusted. The request's user, which no chart, value or label can forge, tells the core
// apart from what Git and the apps deliver:
// - trusted: every user that is not a service account, i.e. whoever holds an admin credential
//   of the cluster: Pulumi itself (on kind the kubeconfig's `kubernetes-admin`, on EKS the IAM
//   principal of the cluster's creator access entry, on AKS the deployer's Entra identity) and
//   people with kubectl; and the service accounts of kube-system (the controllers that create a
//   Deployment's pods or aggregate ClusterRoles) and of the core add-ons' namespaces
//   (cert-manager's cainjector patching webhooks, Kyverno writing its own webhooks);
// - not trusted: every other service account, in particular Argo CD's application controller
//   `system:serviceaccount:argocd:argo-cd-argocd-application-controller`, which syncs Git: argocd
//   is not among the trusted namespaces, and neither is any app's.
// Pulumi's identity is not named (EKS and AKS identities are only known at deploy time); being
// no service account is what marks it, and `trustedUsers` can add a user by name.
//
// Only the CEL core that the offline evaluator (@bufbuild/cel) implements is used (see
// kyverno-policies.ts). None of these policies matches pods alone, so none is autogen'd.

import type { CatalogApp } from "../catalog";
import { namespaceNames } from "../catalog/namespaces";
import { partOfLabel } from "../tenancy";
import { celString, exceptionNamespace, type Manifest } from "./kyverno-policies";

export type AdmissionRuleName =
    | "restrict-privileged-bindings"
    | "restrict-wildcard-roles"
    | "restrict-webhooks"
    | "restrict-argocd-workloads"
    | "restrict-secret-stores"
    | "restrict-policy-exceptions"
    | "application-project"
    | "ingress-hosts";

/** A role that needs a wildcard, with the reason it was accepted. */
export interface WildcardRole {
    /** `ClusterRole/<name>` or `Role/<namespace>/<name>`. */
    readonly role: string;
    readonly app: string;
    readonly reason: string;
}

export interface AdmissionRuleInputs {
    /** The stack's fawkes:domain: hosts under it belong to the catalog. */
    readonly domain: string;
    /** Namespaces whose service accounts are trusted (kube-system and the core add-ons', never argocd). */
    readonly trustedNamespaces: readonly string[];
    /** Extra trusted users by name (service accounts included); none by default. */
    readonly trustedUsers?: readonly string[];
    /** Namespaces no non-core admission webhook may see. */
    readonly coreNamespaces: readonly string[];
    /** API groups the core serves: a non-core webhook matching them could stop or rewrite the core. */
    readonly coreApiGroups: readonly string[];
    /** Every Application of the tree: name → the project it must sync through. */
    readonly applicationProjects: Readonly<Record<string, string>>;
    /** Namespace → the Ingress hosts the catalog gives it. */
    readonly namespaceHosts: Readonly<Record<string, readonly string[]>>;
    /** Roles allowed a wildcard (reviewed; see admission-allowlist.ts). */
    readonly wildcardRoles: readonly WildcardRole[];
    /** Bindings allowed to grant cluster-admin/admin/edit, `ClusterRoleBinding/<name>` or `RoleBinding/<ns>/<name>` (reviewed). */
    readonly privilegedBindings?: readonly ReviewedObject[];
    /** Webhook configurations allowed another scoping, `ValidatingWebhookConfiguration/<name>` or `MutatingWebhookConfiguration/<name>` (reviewed). */
    readonly webhookExceptions?: readonly ReviewedObject[];
}

/** An object a rule would refuse, accepted after review: its kind/name key, its app and why. */
export interface ReviewedObject {
    readonly object: string;
    readonly app: string;
    readonly reason: string;
}

/** Argo CD's application controller: the user every object synced from Git arrives with. */
export const argoCdControllerUser = "system:serviceaccount:argocd:argo-cd-argocd-application-controller";

/** The cluster-admin-like ClusterRoles no untrusted binding may grant. */
export const privilegedClusterRoles = ["cluster-admin", "admin", "edit"] as const;

/** API groups whose `*` verbs amount to owning the cluster. */
const sensitiveGroups = ["rbac.authorization.k8s.io", "admissionregistration.k8s.io"];

const apiVersion = "policies.kyverno.io/v1";
const list = (items: readonly string[]) => `[${items.map(celString).join(", ")}]`;

/** CEL: the request's user is trusted (see the header). */
export function trustedUser(inputs: Pick<AdmissionRuleInputs, "trustedNamespaces" | "trustedUsers">): string {
    const user = "request.userInfo.username";
    return [
        `!${user}.startsWith('system:serviceaccount:')`,
        `${list(inputs.trustedNamespaces)}.exists(n, ${user}.startsWith('system:serviceaccount:' + n + ':'))`,
        ...((inputs.trustedUsers ?? []).length > 0 ? [`${user} in ${list(inputs.trustedUsers ?? [])}`] : []),
    ].join(" || ");
}

interface Rule {
    readonly title: string;
    readonly description: string;
    readonly resourceRules: readonly { apiGroups: string[]; apiVersions: string[]; resources: string[] }[];
    readonly namespaceSelector?: Record<string, unknown>;
    readonly variables: readonly { name: string; expression: string }[];
    readonly validations: readonly { expression: string; message: string }[];
}

const rules = (inputs: AdmissionRuleInputs): Readonly<Record<AdmissionRuleName, Rule>> => {
    const trusted = { name: "trusted", expression: trustedUser(inputs) };
    const coreNamespaces = list(inputs.coreNamespaces);
    const domain = celString(inputs.domain);
    const hosts = `{${Object.entries(inputs.namespaceHosts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([ns, h]) => `${celString(ns)}: ${list([...h].sort())}`)
        .join(", ")}}`;
    const projects = `{${Object.entries(inputs.applicationProjects)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, project]) => `${celString(name)}: ${celString(project)}`)
        .join(", ")}}`;
    const allowedHost = (h: string) =>
        `(object.metadata.namespace in variables.hosts ? ${h} in variables.hosts[object.metadata.namespace] : !(${h} == ${domain} || ${h}.endsWith('.' + ${domain})))`;
    const g = (r: string) => `(has(r.apiGroups) && ${celString(r)} in r.apiGroups)`;
    return {
        "restrict-privileged-bindings": {
            title: "No untrusted bindings to cluster-admin, admin or edit",
            description: `A RoleBinding or ClusterRoleBinding to ClusterRole ${privilegedClusterRoles.join(", ")} comes from Pulumi's identity only, never from Git or an app.`,
            resourceRules: [{ apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], resources: ["rolebindings", "clusterrolebindings"] }],
            variables: [trusted],
            validations: [
                {
                    expression: `variables.trusted || (object.kind == 'ClusterRoleBinding' ? 'ClusterRoleBinding/' + object.metadata.name : 'RoleBinding/' + object.metadata.namespace + '/' + object.metadata.name) in ${list((inputs.privilegedBindings ?? []).map((b) => b.object))} || !(object.roleRef.kind == 'ClusterRole' && object.roleRef.name in ${list(privilegedClusterRoles)})`,
                    message: `Only the platform (Pulumi's identity) may bind ClusterRole ${privilegedClusterRoles.join(", ")}.`,
                },
            ],
        },
        "restrict-wildcard-roles": {
            title: "No untrusted roles with wildcards",
            description:
                "A Role or ClusterRole from Git or an app has no `*` in apiGroups or resources, and no `*` verbs on RBAC, admission webhooks or (in a ClusterRole) Secrets, unless the reviewed allow-list names it.",
            resourceRules: [{ apiGroups: ["rbac.authorization.k8s.io"], apiVersions: ["v1"], resources: ["roles", "clusterroles"] }],
            variables: [
                trusted,
                { name: "rules", expression: "has(object.rules) ? object.rules : []" },
                {
                    name: "allowed",
                    expression: `(object.kind == 'ClusterRole' ? 'ClusterRole/' + object.metadata.name : 'Role/' + object.metadata.namespace + '/' + object.metadata.name) in ${list(inputs.wildcardRoles.map((r) => r.role))}`,
                },
            ],
            validations: [
                {
                    expression:
                        "variables.trusted || variables.allowed || variables.rules.all(r, !(has(r.apiGroups) && '*' in r.apiGroups) && !(has(r.resources) && r.resources.exists(x, x == '*' || x.startsWith('*/'))))",
                    message: "A role from Git or an app may not use `*` in apiGroups or resources (add it to the reviewed allow-list if an operator truly needs it).",
                },
                {
                    expression: `variables.trusted || variables.allowed || variables.rules.all(r, !(has(r.verbs) && '*' in r.verbs) || !(${sensitiveGroups.map(g).join(" || ")} || (object.kind == 'ClusterRole' && ${g("")} && has(r.resources) && 'secrets' in r.resources)))`,
                    message: "A role from Git or an app may not grant `*` verbs on RBAC, admission webhooks or cluster-wide Secrets.",
                },
            ],
        },
        "restrict-webhooks": {
            title: "Untrusted admission webhooks keep out of the core",
            description:
                "A webhook configuration from Git or an app excludes kube-system and the core namespaces by namespaceSelector (kubernetes.io/metadata.name NotIn), or matches only its own API groups.",
            resourceRules: [{ apiGroups: ["admissionregistration.k8s.io"], apiVersions: ["v1"], resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"] }],
            variables: [trusted],
            validations: [
                {
                    expression:
                        `variables.trusted || (object.kind + '/' + object.metadata.name) in ${list((inputs.webhookExceptions ?? []).map((w) => w.object))} || !has(object.webhooks) || object.webhooks.all(w, ` +
                        // Its namespaceSelector leaves every core namespace out...
                        `(has(w.namespaceSelector) && ((has(w.namespaceSelector.matchExpressions) && w.namespaceSelector.matchExpressions.exists(e, e.key == 'kubernetes.io/metadata.name' && has(e.values) && ((e.operator == 'NotIn' && ${coreNamespaces}.all(n, n in e.values)) || (e.operator == 'In' && e.values.all(v, !(v in ${coreNamespaces})))))) || (has(w.namespaceSelector.matchLabels) && 'kubernetes.io/metadata.name' in w.namespaceSelector.matchLabels && !(w.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] in ${coreNamespaces})))) || ` +
                        // ...or it matches only API groups of its own: not Kubernetes', not the core's.
                        `(has(w.rules) && w.rules.all(r, has(r.apiGroups) && r.apiGroups.all(x, x.contains('.') && !x.endsWith('k8s.io') && !x.endsWith('kubernetes.io') && !(x in ${list(inputs.coreApiGroups)})))))`,
                    message: `A webhook from Git or an app must exclude the core namespaces (${inputs.coreNamespaces.join(", ")}) with a namespaceSelector on kubernetes.io/metadata.name, or match only its own API groups.`,
                },
            ],
        },
        "restrict-argocd-workloads": {
            title: "No untrusted pods or pod controllers in argocd",
            description: "No Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob in argocd is created or updated by Argo CD's application controller or any other untrusted user: it would run with Argo CD's service accounts.",
            resourceRules: [
                { apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] },
                { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"] },
                { apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs", "cronjobs"] },
            ],
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "argocd" } },
            variables: [trusted],
            validations: [{ expression: "variables.trusted", message: "Pods and pod controllers in argocd come from the platform (Pulumi) only, never from Git or Argo CD's controller." }],
        },
        "restrict-secret-stores": {
            title: "No untrusted SecretStores or ClusterSecretStores",
            description: "Pulumi creates the secret stores, one per namespace with its own Vault role; a store from Git or an app could read another app's Vault paths.",
            resourceRules: [{ apiGroups: ["external-secrets.io"], apiVersions: ["*"], resources: ["secretstores", "clustersecretstores"] }],
            variables: [trusted],
            validations: [{ expression: "variables.trusted", message: "SecretStores and ClusterSecretStores come from the platform (Pulumi) only." }],
        },
        "restrict-policy-exceptions": {
            title: `PolicyExceptions only in ${exceptionNamespace}`,
            description: `Kyverno reads exceptions only from ${exceptionNamespace}, where Pulumi writes them; one anywhere else is refused, so a changed Kyverno flag cannot make it count.`,
            resourceRules: [{ apiGroups: ["policies.kyverno.io", "kyverno.io"], apiVersions: ["*"], resources: ["policyexceptions"] }],
            variables: [],
            validations: [
                {
                    expression: `has(object.metadata.namespace) && object.metadata.namespace == ${celString(exceptionNamespace)}`,
                    message: `PolicyExceptions belong in the ${exceptionNamespace} namespace, where the platform writes them from the catalog.`,
                },
            ],
        },
        "application-project": {
            title: "An Application syncs through its catalog project",
            description: "spec.project of an Argo CD Application is the project the catalog gives that Application; an Application the catalog does not know is refused.",
            resourceRules: [{ apiGroups: ["argoproj.io"], apiVersions: ["*"], resources: ["applications"] }],
            variables: [{ name: "projects", expression: projects }],
            validations: [
                {
                    expression: "object.metadata.name in variables.projects && has(object.spec.project) && object.spec.project == variables.projects[object.metadata.name]",
                    message: "An Application must be one of the catalog's and use the project the catalog gives it.",
                },
            ],
        },
        "ingress-hosts": {
            title: "Ingress hosts are the catalog's for the namespace",
            description: `Every host of an Ingress (rules and tls) is one the catalog gives its namespace; a namespace the catalog does not know gets no host under ${inputs.domain}.`,
            resourceRules: [{ apiGroups: ["networking.k8s.io"], apiVersions: ["v1"], resources: ["ingresses"] }],
            variables: [{ name: "hosts", expression: hosts }],
            validations: [
                {
                    expression: `!has(object.spec.rules) || object.spec.rules.all(r, !has(r.host) || ${allowedHost("r.host")})`,
                    message: "An Ingress may use only the hosts the catalog gives its namespace.",
                },
                {
                    expression: `!has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, ${allowedHost("h")}))`,
                    message: "An Ingress's tls hosts must be hosts the catalog gives its namespace.",
                },
            ],
        },
    };
};

export const admissionRuleNames: readonly AdmissionRuleName[] = [
    "restrict-privileged-bindings",
    "restrict-wildcard-roles",
    "restrict-webhooks",
    "restrict-argocd-workloads",
    "restrict-secret-stores",
    "restrict-policy-exceptions",
    "application-project",
    "ingress-hosts",
];

/** The cluster-wide admission rules as ValidatingPolicies: Deny everywhere, failing closed. */
export function admissionRules(inputs: AdmissionRuleInputs): Manifest[] {
    const all = rules(inputs);
    return admissionRuleNames.map((name) => {
        const rule = all[name];
        return {
            apiVersion,
            kind: "ValidatingPolicy",
            metadata: {
                name,
                annotations: {
                    "policies.kyverno.io/title": rule.title,
                    "policies.kyverno.io/category": "Fawkes boundaries",
                    "policies.kyverno.io/description": rule.description,
                },
                labels: { ...partOfLabel },
            },
            spec: {
                validationActions: ["Deny"],
                // A boundary that opened while Kyverno is down would be none. Kyverno's own
                // namespace and kube-system never reach its webhooks, so it cannot lock itself out.
                failurePolicy: "Fail",
                matchConstraints: {
                    ...(rule.namespaceSelector ? { namespaceSelector: rule.namespaceSelector } : {}),
                    resourceRules: rule.resourceRules.map((r) => ({ ...r, operations: ["CREATE", "UPDATE"] })),
                },
                ...(rule.variables.length > 0 ? { variables: rule.variables.map((v) => ({ ...v })) } : {}),
                validations: rule.validations.map((v) => ({ ...v })),
            },
        };
    });
}

/**
 * Every namespace the core may use in any stack (both ingress controllers, the in-cluster Git
 * server): a test checks it covers each stack's core namespaces.
 */
export const allCoreNamespaces = ["argocd", "cert-manager", "external-dns", "external-secrets", "git", "ingress-nginx", "kube-system", "kyverno", "traefik", "vault"] as const;

/** The namespaceSelector a chart's webhook sets (through its values) to keep out of the core. */
export function coreNamespaceExclusion(): { matchExpressions: { key: string; operator: "NotIn"; values: string[] }[] } {
    return { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...allCoreNamespaces] }] };
}

/** Core add-ons: the catalog apps Pulumi installs itself, not through Argo CD. */
export const isCoreApp = (app: CatalogApp) => !("group" in app);

export interface RuleContext {
    readonly domain: string;
    /** The stack's catalog (core add-ons and enabled GitOps apps). */
    readonly apps: readonly CatalogApp[];
    /** Every Application the stack's tree and the program create: name → project. */
    readonly applicationProjects: Readonly<Record<string, string>>;
    readonly wildcardRoles: readonly WildcardRole[];
    readonly privilegedBindings?: readonly ReviewedObject[];
    readonly webhookExceptions?: readonly ReviewedObject[];
    readonly trustedUsers?: readonly string[];
}

/** API groups the core add-ons serve (their CRDs), and Argo CD's. */
export const coreApiGroups = [
    "argoproj.io",
    "cert-manager.io",
    "acme.cert-manager.io",
    "external-secrets.io",
    "generators.external-secrets.io",
    "kyverno.io",
    "policies.kyverno.io",
    "reports.kyverno.io",
    "wgpolicyk8s.io",
    "openreports.io",
    "traefik.io",
    "traefik.containo.us",
    "hub.traefik.io",
];

/** The rules' inputs from the stack's catalog. */
export function admissionRuleInputs(ctx: RuleContext): AdmissionRuleInputs {
    const core = ctx.apps.filter(isCoreApp);
    const coreNamespaces = [...new Set(["kube-system", ...core.flatMap(namespaceNames)])].sort();
    const namespaceHosts: Record<string, string[]> = {};
    for (const app of ctx.apps.filter((a) => a.host !== undefined)) {
        (namespaceHosts[app.namespace] ??= []).push(`${app.host!}.${ctx.domain}`);
    }
    return {
        domain: ctx.domain,
        trustedNamespaces: coreNamespaces.filter((n) => n !== "argocd"),
        ...(ctx.trustedUsers ? { trustedUsers: ctx.trustedUsers } : {}),
        coreNamespaces,
        coreApiGroups,
        applicationProjects: ctx.applicationProjects,
        namespaceHosts,
        wildcardRoles: ctx.wildcardRoles,
        privilegedBindings: ctx.privilegedBindings ?? [],
        webhookExceptions: ctx.webhookExceptions ?? [],
    };
}
