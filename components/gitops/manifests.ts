// The GitOps tree as plain objects, derived from the catalog and a stack's config: one
// Argo CD Application per enabled app (apps/<app>.yaml, synced by the root app), the
// ExternalSecrets its charts read, the Middleware in front of a UI without a login, and its
// setup Jobs (apps/<app>/, synced by the app's own Application as its second source, within
// the app's project), written to platform/<stack>/ by `npm run gitops`; and the AppProjects
// and root Application the program itself creates.
// Pure: the program, the generator and the tests share it.

import { catalogValues, deepMerge } from "../addons/helm";
import { type AppValuesContext, databasesOf, enabledGitopsApps, type GitOpsApp, secretsOf } from "../catalog";
import { namespaceNames } from "../catalog/namespaces";
import type { PlatformConfig } from "../config-types";
import { argoCdNamespace, clusterIssuerNames, inCluster, ingressClassNames } from "../names";
import { partOfLabel, poolLabel } from "../../policy/lib/labels";
import { externalUrl } from "../urls";
import { appKinds, type GroupKind, type RenderFacts } from "./app-kinds";
import { rootRepoURL } from "./git-source";
import { setupJobs } from "./setup-jobs";
import { uiAuthObjects } from "../catalog/ui-auth";
import { applicationWave, secretWave } from "./waves";
import { secretStoreName } from "../vault-policies";

type Manifest = Record<string, unknown>;

const partOf = { [partOfLabel.key]: partOfLabel.value };
const syncWave = (wave: number) => ({ "argocd.argoproj.io/sync-wave": String(wave) });

/** Name of the AppProject the root app-of-apps syncs through. */
export const rootProjectName = "fawkes-platform";
export const rootAppName = "fawkes-platform";

/** What the apps' chart values depend on in this stack. */
export function valuesContext(config: PlatformConfig): AppValuesContext {
    const enabled = enabledGitopsApps(config.apps);
    return {
        domain: config.domain,
        externalUrl: (host) => externalUrl(config, host),
        clusterIssuer: clusterIssuerNames[config.tls.issuer],
        ingressClassName: ingressClassNames[config.ingress.controller],
        local: config.cluster.provider === "kind",
        databases: databasesOf(enabled),
        enabledApps: new Set(enabled.map((a) => a.name)),
    };
}

/** The AppProject an app's Application syncs through: one per app, named after it. */
export const appProjectName = (app: Pick<GitOpsApp, "name">) => app.name;

/** Directory of the tree, relative to the stack's path, holding the app's own objects (ExternalSecrets, a Middleware, setup Jobs). */
export const appObjectsDir = (app: Pick<GitOpsApp, "name">) => `apps/${app.name}`;

/**
 * The app's own objects the platform writes beside its chart: its ExternalSecrets, the Traefik
 * Middleware that asks for its login where its UI has none (ui-auth.ts), then its setup Jobs.
 */
export function appObjects(app: GitOpsApp, config: PlatformConfig): Manifest[] {
    // The Middleware syncs with the Secret it reads, before the chart's Ingress names it.
    const uiAuth = uiAuthObjects(valuesContext(config), app).map((o) => ({ ...o, metadata: { ...(o.metadata as object), labels: { ...partOf }, annotations: syncWave(secretWave(app)) } }));
    return [...externalSecrets(app, config), ...uiAuth, ...setupJobs(app)];
}

/** The file an app object is written to in apps/<app>/: named after its kind and name. */
const objectFilePrefixes: Readonly<Record<string, string>> = { ExternalSecret: "secret", Job: "job", Middleware: "middleware" };
const appObjectFile = (app: GitOpsApp, object: Manifest) => {
    const kind = object.kind as string;
    return `${appObjectsDir(app)}/${objectFilePrefixes[kind] ?? kind.toLowerCase()}-${(object.metadata as { name: string }).name}.yaml`;
};

interface ChartSource {
    readonly repoURL: string;
    readonly chart: string;
    readonly targetRevision: string;
    readonly helm: { readonly releaseName: string; readonly valuesObject: Record<string, unknown> };
}

/** The chart source of an app's Application (its first source). */
export function chartSource(application: Manifest): ChartSource {
    const [chart] = (application.spec as { sources: ChartSource[] }).sources;
    return chart;
}

export function application(app: GitOpsApp, config: PlatformConfig): Manifest {
    const values = deepMerge(
        app.values(valuesContext(config)),
        // Worker pools carry no taints, so placement is the pool's node selector only.
        catalogValues(app, { name: app.pool, taints: [] }),
    );
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: {
            name: app.name,
            namespace: argoCdNamespace,
            labels: { ...partOf, [poolLabel]: app.pool },
            annotations: syncWave(applicationWave(app)),
            // Deleting the Application deletes what it deployed.
            finalizers: ["resources-finalizer.argocd.argoproj.io"],
        },
        spec: {
            project: appProjectName(app),
            sources: [
                { repoURL: app.chart.repo, chart: app.chart.name, targetRevision: app.chart.version, helm: { releaseName: app.name, valuesObject: values } },
                // The app's ExternalSecrets and setup Jobs, from this platform's repository: synced
                // by the app's own Application, so they are held to the app's project, not the root's.
                // Plain YAML (directory, not kustomize): no remote bases, no generators. A local
                // stack's root app pins the seeded commit; this follows the branch it was seeded to.
                ...(appObjects(app, config).length > 0
                    ? [{ repoURL: rootRepoURL(config), targetRevision: config.gitops.targetRevision, path: `${config.gitops.path}/${appObjectsDir(app)}`, directory: { recurse: false } }]
                    : []),
            ],
            destination: { server: inCluster, namespace: app.namespace },
            syncPolicy: {
                automated: { prune: true, selfHeal: true },
                retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
                // Pulumi's tenancy layer owns the namespace, its quota and its limit range.
                syncOptions: ["CreateNamespace=false", ...(app.serverSideApply ? ["ServerSideApply=true"] : [])],
            },
        },
    };
}

export function externalSecrets(app: GitOpsApp, config: PlatformConfig): Manifest[] {
    return secretsOf(app, valuesContext(config)).map((secret) => {
        // A template only where the Secret needs more than the Vault values: a type, labels, rendered keys.
        const template =
            secret.type || secret.labels || secret.templates
                ? {
                      template: {
                          engineVersion: "v2",
                          mergePolicy: "Merge",
                          ...(secret.type ? { type: secret.type } : {}),
                          ...(secret.labels ? { metadata: { labels: { ...secret.labels } } } : {}),
                          ...(secret.templates ? { data: { ...secret.templates } } : {}),
                      },
                  }
                : {};
        return {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: secret.name, namespace: app.namespace, labels: { ...partOf }, annotations: syncWave(secretWave(app)) },
            spec: {
                refreshInterval: "1h",
                // The namespace's own store: its Vault role reads only this app's paths.
                secretStoreRef: { kind: "SecretStore", name: secretStoreName },
                target: { name: secret.name, creationPolicy: "Owner", ...template },
                data: Object.entries(secret.keys).map(([secretKey, property]) => ({ secretKey, remoteRef: { key: secret.vaultPath, property } })),
            },
        };
    });
}

/**
 * Namespaces no app project may deploy into: Argo CD's own (a Job there could run as its
 * controller), the cluster's, and those of the core add-ons that hold the platform's
 * boundaries (admission, secrets).
 */
export const forbiddenAppNamespaces: readonly string[] = [argoCdNamespace, "kube-system", "kube-public", "kube-node-lease", "default", "kyverno", "vault", "external-secrets"];

/** Kinds the tenancy layer owns (the namespace, its quota and defaults): no chart may create or replace them. */
const tenancyKinds: readonly GroupKind[] = [
    { group: "", kind: "Namespace" },
    { group: "", kind: "ResourceQuota" },
    { group: "", kind: "LimitRange" },
];

const isTenancyKind = (k: GroupKind) => tenancyKinds.some((t) => t.group === k.group && t.kind === k.kind);

const withKind = (kinds: readonly GroupKind[], extra: GroupKind) => (kinds.some((k) => k.group === extra.group && k.kind === extra.kind) ? [...kinds] : [...kinds, extra]);

/** A manifest's API group ("" for the core API, e.g. `v1`) and kind. */
const groupKindOf = (o: Manifest): GroupKind => {
    const apiVersion = o.apiVersion as string;
    return { group: apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "", kind: o.kind as string };
};

/** The namespaces an app deploys into: its own, its workloads' own ones and the chart's extra ones. */
const namespacesOf = (app: GitOpsApp) => namespaceNames(app);

/** Refuses a catalog where an app deploys into a core namespace or into another app's. */
export function checkAppNamespaces(apps: readonly GitOpsApp[]): void {
    const owner = new Map<string, string>();
    for (const app of apps) {
        for (const namespace of namespacesOf(app)) {
            if (forbiddenAppNamespaces.includes(namespace)) {
                throw new Error(`catalog app ${app.name} deploys into namespace ${namespace}, which no app project may: ${forbiddenAppNamespaces.join(", ")} belong to the core`);
            }
            const other = owner.get(namespace);
            if (other !== undefined && other !== app.name) {
                throw new Error(`catalog apps ${other} and ${app.name} both deploy into namespace ${namespace}: an app project may deploy only into its own app's namespaces`);
            }
            owner.set(namespace, app.name);
        }
    }
}

/**
 * One AppProject per app, allowing exactly: its chart's repository (and this platform's
 * repository where it syncs its own objects from there), its own namespaces, and the kinds
 * its chart renders at the pinned version (read from the render facts), cluster-scoped kinds
 * only where the render has them, plus the kinds of its own objects (ExternalSecret,
 * Middleware, Job) where it has them.
 */
export function appProjects(config: PlatformConfig, facts?: RenderFacts): Manifest[] {
    const apps = enabledGitopsApps(config.apps);
    checkAppNamespaces(apps);
    return apps.map((app) => {
        const kinds = appKinds(app.name, facts);
        const own = appObjects(app, config);
        // The chart's kinds, and those of the app's own objects (ExternalSecret, Middleware, Job).
        const namespaced = own.map(groupKindOf).reduce(withKind, kinds.namespaced.filter((k) => !isTenancyKind(k)));
        return {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: { name: appProjectName(app), namespace: argoCdNamespace, labels: { ...partOf } },
            spec: {
                description: `Fawkes app ${app.name} (${app.group}): chart ${app.chart.name} ${app.chart.version}`,
                sourceRepos: [app.chart.repo, ...(own.length > 0 ? [rootRepoURL(config)] : [])],
                destinations: namespacesOf(app).map((namespace) => ({ server: inCluster, namespace })),
                // An empty list admits no cluster-scoped kind at all.
                clusterResourceWhitelist: kinds.cluster.filter((k) => !isTenancyKind(k)).map((k) => ({ ...k })),
                namespaceResourceWhitelist: namespaced.map((k) => ({ ...k })),
                // The quota and defaults belong to the tenancy layer; no chart may replace them.
                namespaceResourceBlacklist: tenancyKinds.filter((k) => k.kind !== "Namespace").map((k) => ({ ...k })),
            },
        };
    });
}

/** The root app's project: this repository's tree, Applications in argocd and nothing else. */
export function rootProject(config: PlatformConfig): Manifest {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: { name: rootProjectName, namespace: argoCdNamespace, labels: { ...partOf } },
        spec: {
            description: "The Fawkes app-of-apps: the apps' Applications, from this platform's Git repository",
            sourceRepos: [rootRepoURL(config)],
            destinations: [{ server: inCluster, namespace: argoCdNamespace }],
            clusterResourceWhitelist: [],
            namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Application" }],
        },
    };
}

/** A patch that takes every right away from Argo CD's built-in `default` project. */
export function lockedDefaultProject(): Manifest {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        // Argo CD owns the object; Pulumi takes over the fields it sets.
        metadata: { name: "default", namespace: argoCdNamespace, annotations: { "pulumi.com/patchForce": "true" } },
        spec: { sourceRepos: [], destinations: [], clusterResourceWhitelist: [], namespaceResourceBlacklist: [{ group: "*", kind: "*" }] },
    };
}

/**
 * The root Application. `targetRevision` is the commit the program seeded on a local stack
 * (a pulumi.Input); a remote stack follows fawkes:gitops.targetRevision.
 */
export function rootApplication(config: PlatformConfig, targetRevision: unknown = config.gitops.targetRevision): Manifest {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: rootAppName, namespace: argoCdNamespace, labels: { ...partOf }, finalizers: ["resources-finalizer.argocd.argoproj.io"] },
        spec: {
            project: rootProjectName,
            source: { repoURL: rootRepoURL(config), targetRevision, path: config.gitops.path },
            destination: { server: inCluster, namespace: argoCdNamespace },
            syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } } },
        },
    };
}

/** The files of platform/<stack>/: path relative to that directory → manifest (kustomization.yaml: what the root app syncs). */
export function platformTree(config: PlatformConfig): Map<string, Manifest> {
    const files = new Map<string, Manifest>();
    for (const app of enabledGitopsApps(config.apps)) {
        files.set(`apps/${app.name}.yaml`, application(app, config));
        // Not in the kustomization: the app's Application syncs these, not the root app.
        for (const object of appObjects(app, config)) {
            files.set(appObjectFile(app, object), object);
        }
    }
    files.set("kustomization.yaml", {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        // The root app syncs the Applications only.
        resources: [...files.keys()].filter((f) => /^apps\/[^/]+\.yaml$/.test(f)).sort(),
    });
    return files;
}
