// The GitOps tree as plain objects, derived from the catalog and a stack's config: one
// Argo CD Application per enabled app, the ExternalSecrets its charts read and its setup
// Jobs (written to platform/<stack>/ by `npm run gitops`), and the AppProjects and root
// Application the program itself creates. Pure: the program, the generator and the tests
// share it.

import { catalogValues, deepMerge } from "../addons/helm";
import { type AppValuesContext, databasesOf, enabledGitopsApps, type GitOpsApp, secretsOf } from "../catalog";
import type { PlatformConfig } from "../config-types";
import { argoCdNamespace, clusterIssuerNames, clusterSecretStoreName, inCluster, ingressClassNames } from "../names";
import { partOfLabel, poolLabel } from "../../policy/lib/labels";
import { externalUrl } from "../urls";
import { rootRepoURL } from "./git-source";
import { setupJobs } from "./setup-jobs";
import { applicationWave, secretWave } from "./waves";

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
            project: app.group,
            source: { repoURL: app.chart.repo, chart: app.chart.name, targetRevision: app.chart.version, helm: { releaseName: app.name, valuesObject: values } },
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
                secretStoreRef: { kind: "ClusterSecretStore", name: clusterSecretStoreName },
                target: { name: secret.name, creationPolicy: "Owner", ...template },
                data: Object.entries(secret.keys).map(([secretKey, property]) => ({ secretKey, remoteRef: { key: secret.vaultPath, property } })),
            },
        };
    });
}

/** Cluster-scoped kinds charts may install: their CRDs, RBAC and webhooks. Never Namespaces. */
const clusterKinds = [
    { group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" },
    { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
    { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
    { group: "admissionregistration.k8s.io", kind: "MutatingWebhookConfiguration" },
    { group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration" },
];

/** An AppProject per group: its apps' chart repositories, into its apps' namespaces only. */
export function appProjects(config: PlatformConfig): Manifest[] {
    const apps = enabledGitopsApps(config.apps);
    const groups = [...new Set(apps.map((a) => a.group))].sort();
    return groups.map((group) => {
        const members = apps.filter((a) => a.group === group);
        return {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AppProject",
            metadata: { name: group, namespace: argoCdNamespace, labels: { ...partOf } },
            spec: {
                description: `Fawkes ${group} apps: ${members.map((a) => a.name).join(", ")}`,
                sourceRepos: [...new Set(members.map((a) => a.chart.repo))].sort(),
                destinations: members.flatMap((a) => [a.namespace, ...(a.extraNamespaces ?? [])]).map((namespace) => ({ server: inCluster, namespace })),
                clusterResourceWhitelist: clusterKinds,
                // The quota and defaults belong to the tenancy layer; no chart may replace them.
                namespaceResourceBlacklist: [
                    { group: "", kind: "ResourceQuota" },
                    { group: "", kind: "LimitRange" },
                ],
            },
        };
    });
}

/** The root app's project: this repository's tree, Applications in argocd and ExternalSecrets in the apps' namespaces. */
export function rootProject(config: PlatformConfig): Manifest {
    const apps = enabledGitopsApps(config.apps);
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: { name: rootProjectName, namespace: argoCdNamespace, labels: { ...partOf } },
        spec: {
            description: "The Fawkes app-of-apps: Applications and their ExternalSecrets, from this platform's Git repository",
            sourceRepos: [rootRepoURL(config)],
            destinations: [argoCdNamespace, ...apps.map((a) => a.namespace)].map((namespace) => ({ server: inCluster, namespace })),
            clusterResourceWhitelist: [],
            namespaceResourceWhitelist: [
                { group: "argoproj.io", kind: "Application" },
                { group: "external-secrets.io", kind: "ExternalSecret" },
                // Setup Jobs such as DevLake's DORA project.
                { group: "batch", kind: "Job" },
            ],
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

/** The files of platform/<stack>/: path relative to that directory → manifest. */
export function platformTree(config: PlatformConfig): Map<string, Manifest> {
    const files = new Map<string, Manifest>();
    for (const app of enabledGitopsApps(config.apps)) {
        files.set(`apps/${app.name}.yaml`, application(app, config));
        for (const secret of externalSecrets(app, config)) {
            files.set(`secrets/${app.name}-${(secret.metadata as { name: string }).name}.yaml`, secret);
        }
        for (const job of setupJobs(app)) {
            files.set(`jobs/${(job.metadata as { name: string }).name}.yaml`, job);
        }
    }
    files.set("kustomization.yaml", {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [...files.keys()].sort(),
    });
    return files;
}
