// The roles that may keep a wildcard the restrict-wildcard-roles rule otherwise refuses
// (admission-rules.ts): found by the render check (`npm run render`, every target), each
// reviewed and given its reason. A chart upgrade that adds one fails the render check until it
// is listed here, so it shows up as a reviewed diff.

import type { ReviewedObject, WildcardRole } from "./admission-rules";

export const wildcardRoles: readonly WildcardRole[] = [
    {
        role: "ClusterRole/kube-prometheus-stack-operator",
        app: "kube-prometheus-stack",
        reason:
            "`*` on core Secrets: the Prometheus operator writes the generated configuration and TLS Secrets of each Prometheus and Alertmanager it runs, in every namespace it watches (upstream's RBAC, prometheus-operator Documentation/platform/rbac.md)",
    },
    // Optional apps (off by default), reviewed when their charts were rendered with every app on.
    {
        role: "ClusterRole/kargo-project-admin",
        app: "kargo",
        reason: "`*` on Roles/RoleBindings and Secrets of a Kargo project: Kargo binds it per project namespace to that project's admins, never cluster-wide (kargo chart 1.11.2)",
    },
    {
        role: "ClusterRole/kargo-management-controller",
        app: "kargo",
        reason: "`*` on RBAC: the management controller creates each project namespace's Roles and RoleBindings for Kargo's users and controllers (kargo chart 1.11.2)",
    },
    {
        role: "ClusterRole/kargo-webhooks-server",
        app: "kargo",
        reason: "`*` verbs on RBAC it reads to authorize project changes; the chart has no value that narrows it (kargo chart 1.11.2)",
    },
    {
        role: "ClusterRole/kiali-viewer",
        app: "kiali",
        reason: "read-only (get/list/watch) on every kind: the Kiali console's view of the mesh; no write verb (kiali-server chart 2.29.0)",
    },
    {
        role: "Role/velero/velero-server",
        app: "velero",
        reason: "`*` within velero's own namespace, where it keeps its BackupStorageLocations and repositories (velero chart 12.1.0)",
    },
];

/** Bindings to cluster-admin, admin or edit that restrict-privileged-bindings lets through. */
export const privilegedBindings: readonly ReviewedObject[] = [
    {
        object: "ClusterRoleBinding/velero-server",
        app: "velero",
        reason: "cluster-admin: a backup tool reads and restores every kind in every namespace, Secrets included (velero's documented model, rbac.clusterAdministrator); off by default, and whoever turns it on grants that",
    },
];

/** Webhook configurations that restrict-webhooks lets through with another scoping. */
export const webhookExceptions: readonly ReviewedObject[] = [
    {
        object: "ValidatingWebhookConfiguration/kargo",
        app: "kargo",
        reason: "its hooks on core Secrets and ConfigMaps select only namespaces labelled kargo.akuity.io/project, a label the core namespaces never carry (their labels are Pulumi's; no app project may change a Namespace)",
    },
];
