// The platform catalog: every app the platform runs, as plain data plus pure functions.
//
// Each entry pins its chart exactly and lists every workload the chart runs, with replicas
// and per-container requests and limits. The Helm values' resources, replicas and node
// placement, the namespaces' quotas and the budget are all derived from these entries, so
// what the catalog declares is what runs. Chart facts (repo URLs, versions, values keys)
// were read from each chart's own Chart.yaml and values.yaml at the tag named.
//
// Layout: types.ts (the entry shapes), build.ts (helpers), core.ts (what Pulumi installs),
// apps/<group>.ts (what Argo CD runs, one file per AppProject group).

import { cloudNativePg, minio, ownerLoginSecret, platformPostgresCluster, velero } from "./apps/data";
import { argoRollouts, devlake, harbor, jenkins, kargo, sonarqube } from "./apps/delivery";
import { backstage, gitea } from "./apps/developer-experience";
import {
    fluentBit,
    grafana,
    kiali,
    kubePrometheusStack,
    loki,
    openSearchApp,
    openSearchDashboards,
    openTelemetryCollector,
    openTelemetryOperator,
    pyroscope,
    tempo,
    thanos,
} from "./apps/observability";
import { falco, keycloak, sealedSecrets, trivyOperator } from "./apps/security";
import type { PlatformConfig } from "../config-types";
import { withAcmeSolver } from "./acme";
import { coreAddons } from "./core";
import type { AppDatabase, AppSecret, AppValuesContext, CatalogApp, CatalogContext, GitOpsApp } from "./types";

export * from "./types";
export { coreAddons } from "./core";
export { acmeSolver, acmeSolverLabels, withAcmeSolver } from "./acme";
export { platformPostgres } from "./apps/data";
export { podSecurityOf, restrictedApps } from "./pod-security";

/** Every app Argo CD can run, enabled or not; `fawkes:apps` switches them. */
export function gitopsApps(): GitOpsApp[] {
    return [
        // Data
        cloudNativePg(),
        platformPostgresCluster(),
        // Developer experience
        backstage(),
        // Delivery and quality
        jenkins(),
        sonarqube(),
        harbor(),
        devlake(),
        argoRollouts(),
        // Observability
        kubePrometheusStack(),
        grafana(),
        loki(),
        tempo(),
        fluentBit(),
        openTelemetryOperator(),
        openTelemetryCollector(),
        // Security
        trivyOperator(),
        // Optional: off by default, pinned and sized so switching one on is one config line
        // and the budget shows what it costs.
        gitea(),
        kargo(),
        minio(),
        velero(),
        openSearchApp(),
        openSearchDashboards(),
        kiali(),
        thanos(),
        pyroscope(),
        sealedSecrets(),
        falco(),
        keycloak(),
    ];
}

/** Names `fawkes:apps` accepts. */
export function catalogAppNames(): string[] {
    return gitopsApps().map((a) => a.name);
}

/** The apps a stack runs: defaults, overridden by `fawkes:apps`. */
export function enabledGitopsApps(switches: Readonly<Record<string, boolean>>): GitOpsApp[] {
    return gitopsApps().filter((a) => switches[a.name] ?? a.enabledByDefault);
}

/**
 * Everything a stack runs, as the program deploys it: the core add-ons and the enabled Argo
 * CD apps, each with the ACME solver pods its certificates need when they come from Let's Encrypt
 * through HTTP-01.
 */
export function stackCatalog(config: Pick<PlatformConfig, "cluster" | "ha" | "ingress" | "apps" | "tls" | "gitops" | "dns">): CatalogApp[] {
    // DNS-01 challenges are TXT records in the zone: no solver pod runs anywhere.
    const acme = config.tls.issuer !== "local-ca" && config.tls.solver === "http01";
    const core = coreAddons(catalogContext(config));
    return [...core, ...enabledGitopsApps(config.apps)].map((app) => withAcmeSolver(app, acme));
}

/** What the catalog's shape depends on, from a stack's config. */
export function catalogContext(config: Pick<PlatformConfig, "cluster" | "ha" | "ingress" | "gitops" | "dns">): CatalogContext {
    return {
        provider: config.cluster.provider,
        ha: config.ha,
        ingressController: config.ingress.controller,
        gitServer: config.gitops.source === "in-cluster",
        ...(config.dns ? { dns: config.dns.provider } : {}),
    };
}

/** The databases of the given apps, in catalog order. */
export function databasesOf(apps: readonly GitOpsApp[]): AppDatabase[] {
    return apps.flatMap((a) => (a.database ? [a.database] : []));
}

/**
 * Every Secret an app reads: its own, the login to its database, and, for the app that hosts
 * the databases, each owner's login (CloudNativePG reloads a role's password when its Secret
 * carries the cnpg.io/reload label).
 */
export function secretsOf(app: GitOpsApp, ctx: AppValuesContext): AppSecret[] {
    const loginKeys = { username: "username", password: "password" };
    const basicAuth = "kubernetes.io/basic-auth";
    const ownLogin: AppSecret[] = app.database ? [{ name: `${app.name}-postgres`, vaultPath: app.database.vaultPath, keys: loginKeys, type: basicAuth }] : [];
    const hosted: AppSecret[] = app.hostsDatabases
        ? ctx.databases.map((db) => ({ name: ownerLoginSecret(db.owner), vaultPath: db.vaultPath, keys: loginKeys, type: basicAuth, labels: { "cnpg.io/reload": "true" } }))
        : [];
    const own = typeof app.secrets === "function" ? app.secrets(ctx) : app.secrets;
    return [...own, ...ownLogin, ...hosted];
}
