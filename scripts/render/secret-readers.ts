// Who can read Secrets beyond its own namespace: every ClusterRole a stack's render (charts,
// the root tree, the program's own objects) brings that grants get, list or watch on Secrets,
// with how it reaches its holders, and every Role that grants it in a namespace the app does
// not own. A pod that can read another namespace's Secrets holds that namespace's credentials.

import { stackCatalog } from "../../components/catalog";
import { namespaceNames } from "../../components/catalog/namespaces";
import type { K8sObject } from "./helm-template";
import type { StackRender } from "./render";

export interface RbacRule {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly verbs?: readonly string[];
    readonly resourceNames?: readonly string[];
}

/** An object of the render, with the app that brings it and the namespace it lands in (charts default to their release's). */
export interface OwnedObject {
    readonly app: string;
    readonly object: K8sObject;
    readonly namespace?: string;
}

/**
 * How a secret-reading ClusterRole reaches its holders:
 * - `cluster`: a ClusterRoleBinding, so every namespace's Secrets;
 * - `aggregated`: its labels fold it into the built-in view/edit/admin roles, so whoever holds those;
 * - `unbound`: nothing in the render binds it (the app's operator binds it per namespace at run time).
 */
export type SecretReaderScope = "cluster" | "aggregated" | "unbound";

export interface SecretReader {
    readonly app: string;
    readonly clusterRole: string;
    readonly scope: SecretReaderScope;
}

export interface NamespacedSecretReader {
    readonly app: string;
    readonly kind: "Role" | "RoleBinding";
    readonly name: string;
    readonly namespace: string;
}

const readVerbs = new Set(["get", "list", "watch", "*"]);

/** Whether a rule lets its holder read Secrets (named ones too: a cluster-wide name is in every namespace). */
export function readsSecrets(rule: RbacRule): boolean {
    return (
        (rule.apiGroups ?? []).some((g) => g === "" || g === "*") &&
        (rule.resources ?? []).some((r) => r === "secrets" || r === "*") &&
        (rule.verbs ?? []).some((v) => readVerbs.has(v))
    );
}

/**
 * The ClusterRoles Kubernetes itself defines that charts bind, and whether they read Secrets
 * (kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles). A binding to any
 * other ClusterRole the render does not define is an error: its rights cannot be checked.
 */
export const builtInClusterRoles: Readonly<Record<string, boolean>> = {
    "cluster-admin": true,
    admin: true,
    edit: true,
    view: false,
    "system:auth-delegator": false,
};

const aggregateLabels = ["view", "edit", "admin"].map((r) => `rbac.authorization.k8s.io/aggregate-to-${r}`);

const rulesOf = (o: K8sObject) => (o as { rules?: readonly RbacRule[] }).rules ?? [];
const roleRefOf = (o: K8sObject) => (o as { roleRef?: { kind: string; name: string } }).roleRef;

export interface SecretReaderReport {
    readonly clusterWide: readonly SecretReader[];
    /** Roles and RoleBindings granting Secret reads in a namespace that is not the app's own. */
    readonly foreignNamespaces: readonly NamespacedSecretReader[];
    /** Bindings to ClusterRoles neither the render nor Kubernetes defines. */
    readonly unknownRoles: readonly string[];
}

/** `ownNamespaces(app)`: the namespaces an app owns (its own, its workloads' and its extra ones). */
export function secretReaders(objects: readonly OwnedObject[], ownNamespaces: (app: string) => readonly string[]): SecretReaderReport {
    const of = (kind: string) => objects.filter((o) => o.object.kind === kind);
    const clusterRoles = of("ClusterRole");
    const defined = new Set(clusterRoles.map((o) => o.object.metadata.name));
    const clusterBound = new Set(of("ClusterRoleBinding").map((b) => roleRefOf(b.object)?.name));
    const anyBound = new Set([...of("ClusterRoleBinding"), ...of("RoleBinding")].filter((b) => roleRefOf(b.object)?.kind === "ClusterRole").map((b) => roleRefOf(b.object)?.name));

    const clusterWide: SecretReader[] = [];
    for (const { app, object } of clusterRoles) {
        if (!rulesOf(object).some(readsSecrets)) {
            continue;
        }
        const name = object.metadata.name;
        const aggregated = aggregateLabels.some((l) => object.metadata.labels?.[l] === "true");
        // Bound only by RoleBindings: it reads Secrets in those namespaces, checked below.
        if (!clusterBound.has(name) && !aggregated && anyBound.has(name)) {
            continue;
        }
        clusterWide.push({ app, clusterRole: name, scope: clusterBound.has(name) ? "cluster" : aggregated ? "aggregated" : "unbound" });
    }

    const unknownRoles: string[] = [];
    for (const { app, object } of of("ClusterRoleBinding")) {
        const ref = roleRefOf(object);
        if (ref === undefined || defined.has(ref.name)) {
            continue;
        }
        if (!(ref.name in builtInClusterRoles)) {
            unknownRoles.push(`${app}: ClusterRoleBinding ${object.metadata.name} binds ClusterRole ${ref.name}`);
        } else if (builtInClusterRoles[ref.name]) {
            clusterWide.push({ app, clusterRole: ref.name, scope: "cluster" });
        }
    }

    // A Role or a RoleBinding to a secret-reading role, outside the app's own namespaces.
    const roleReads = new Map(of("Role").map((r) => [`${r.namespace}/${r.object.metadata.name}`, rulesOf(r.object).some(readsSecrets)]));
    const clusterRoleReads = new Map(clusterRoles.map((r) => [r.object.metadata.name, rulesOf(r.object).some(readsSecrets)]));
    const foreignNamespaces: NamespacedSecretReader[] = [];
    for (const { app, object, namespace = "" } of [...of("Role"), ...of("RoleBinding")]) {
        const ref = roleRefOf(object);
        const reads =
            object.kind === "Role"
                ? rulesOf(object).some(readsSecrets)
                : ref?.kind === "Role"
                  ? (roleReads.get(`${namespace}/${ref.name}`) ?? false)
                  : (clusterRoleReads.get(ref?.name ?? "") ?? builtInClusterRoles[ref?.name ?? ""] ?? true);
        if (reads && !ownNamespaces(app).includes(namespace)) {
            foreignNamespaces.push({ app, kind: object.kind as "Role" | "RoleBinding", name: object.metadata.name, namespace });
        }
    }

    const key = (r: SecretReader) => `${r.app}/${r.clusterRole}`;
    return {
        clusterWide: clusterWide.sort((a, b) => key(a).localeCompare(key(b))),
        foreignNamespaces,
        unknownRoles,
    };
}

/** Pulumi's own objects and the root tree: the core, which owns every namespace. */
export const coreOwner = "core";

/** A stack render's objects with their apps, and the namespaces each app owns. */
export function stackSecretReaders(render: StackRender): SecretReaderReport {
    const apps = stackCatalog(render.sources.config);
    const objects: OwnedObject[] = [
        ...render.charts.flatMap((c) => c.objects.map((object) => ({ app: c.install.app, object, namespace: object.metadata.namespace ?? c.install.namespace }))),
        ...[...render.tree, ...(render.sources.programObjects as K8sObject[])].map((object) => ({ app: coreOwner, object, namespace: object.metadata.namespace })),
    ];
    const owned = new Map(apps.map((a) => [a.name, namespaceNames(a)]));
    const everywhere = [...new Set(objects.map((o) => o.namespace ?? ""))];
    return secretReaders(objects, (app) => (app === coreOwner ? everywhere : (owned.get(app) ?? [])));
}
