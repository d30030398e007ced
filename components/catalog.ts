// The platform catalog: every app the platform runs, as plain data plus pure functions.
//
// Each entry pins its chart exactly and lists every workload the chart runs, with replicas
// and per-container requests and limits. The Helm values' resources, replicas and node
// placement, the namespaces' quotas and the budget are all derived from these entries, so
// what the catalog declares is what runs. Chart facts (repo URLs, versions, values keys)
// were read from each chart's own Chart.yaml and values.yaml at the tag named.

import { poolLabel } from "../policy/lib/labels";
import type { ClusterProvider, IngressController } from "./config-types";

export interface Resources {
    readonly cpu: string;
    readonly memory: string;
}

export interface Container {
    readonly name: string;
    /** Dotted path of this container's `resources` block in the chart values. */
    readonly resourcesPath: string;
    readonly requests: Resources;
    readonly limits: Resources;
    /** Init containers run before the others, so a pod needs the larger of the two sets. */
    readonly init?: boolean;
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Job";

export interface Workload {
    readonly name: string;
    readonly kind: WorkloadKind;
    /** Pods; for a DaemonSet, pods per node of the pool (or of the cluster, with everyNode). */
    readonly replicas: number;
    /** A DaemonSet that runs on every node of the cluster, not only on its app's pool (node agents). */
    readonly everyNode?: boolean;
    /** Dotted path of the replica count in the chart values, where the chart has one. */
    readonly replicasPath?: string;
    /** Dotted path of the object holding this workload's nodeSelector and tolerations ("" = values root). */
    readonly placementPath?: string;
    readonly containers: readonly Container[];
}

export interface ChartPin {
    /** Helm repository URL (https). */
    readonly repo: string;
    readonly name: string;
    /** Exact chart version: no ranges. */
    readonly version: string;
}

/** A documented deviation from a baseline Kyverno policy, with the reason. */
export interface PolicyException {
    readonly policy: string;
    readonly reason: string;
}

export interface CatalogApp {
    readonly name: string;
    readonly chart: ChartPin;
    readonly namespace: string;
    /** Node pool the app's pods are placed on. */
    readonly pool: string;
    readonly workloads: readonly Workload[];
    /** Subdomain of fawkes:domain for the app's UI or API, if it has one. */
    readonly host?: string;
    readonly policyExceptions: readonly PolicyException[];
}

/** What the catalog's shape depends on. */
export interface CatalogContext {
    readonly provider: ClusterProvider;
    readonly ha: boolean;
    readonly ingressController: IngressController;
}

const r = (cpu: string, memory: string): Resources => ({ cpu, memory });

function container(name: string, resourcesPath: string, requests: Resources, limits: Resources, init = false): Container {
    return init ? { name, resourcesPath, requests, limits, init } : { name, resourcesPath, requests, limits };
}

/** A workload whose pods run one container, the common case; `paths` are dotted values paths. */
function workload(
    name: string,
    kind: WorkloadKind,
    replicas: number,
    paths: { resources: string; replicas?: string; placement?: string },
    requests: Resources,
    limits: Resources,
): Workload {
    return { name, kind, replicas, replicasPath: paths.replicas, placementPath: paths.placement, containers: [container(name, paths.resources, requests, limits)] };
}

// --- Ingress controllers -----------------------------------------------------------------

/** On kind the controller binds host ports on the single ingress-ready node: one replica there. */
const ingressReplicas = (ctx: CatalogContext) => (ctx.ha && ctx.provider !== "kind" ? 2 : 1);

function traefik(ctx: CatalogContext): CatalogApp {
    return {
        name: "traefik",
        // traefik/traefik-helm-chart tag v41.3.0 (Traefik v3.7.11)
        chart: { repo: "https://traefik.github.io/charts", name: "traefik", version: "41.3.0" },
        namespace: "traefik",
        pool: ingressPool(ctx),
        workloads: [workload("traefik", "Deployment", ingressReplicas(ctx), { resources: "resources", replicas: "deployment.replicas", placement: "" }, r("100m", "128Mi"), r("500m", "256Mi"))],
        policyExceptions: [],
    };
}

function ingressNginx(ctx: CatalogContext): CatalogApp {
    const webhooks = "controller.admissionWebhooks";
    return {
        name: "ingress-nginx",
        // kubernetes/ingress-nginx tag helm-chart-4.15.1: retired upstream in March 2026, the last release.
        chart: { repo: "https://kubernetes.github.io/ingress-nginx", name: "ingress-nginx", version: "4.15.1" },
        namespace: "ingress-nginx",
        pool: ingressPool(ctx),
        workloads: [
            workload("controller", "Deployment", ingressReplicas(ctx), { resources: "controller.resources", replicas: "controller.replicaCount", placement: "controller" }, r("100m", "128Mi"), r("500m", "384Mi")),
            // Both webhook-certificate Jobs take their placement from `patch`.
            workload("admission-create", "Job", 1, { resources: `${webhooks}.createSecretJob.resources`, placement: `${webhooks}.patch` }, r("10m", "32Mi"), r("100m", "64Mi")),
            workload("admission-patch", "Job", 1, { resources: `${webhooks}.patchWebhookJob.resources` }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [],
    };
}

/** On kind the ingress controller runs on the control plane, whose host ports 80/443 are mapped. */
function ingressPool(ctx: CatalogContext): string {
    return ctx.provider === "kind" ? "control-plane" : "platform";
}

// --- Core add-ons ------------------------------------------------------------------------

function certManager(ctx: CatalogContext): CatalogApp {
    const replicas = ctx.ha ? 2 : 1;
    return {
        name: "cert-manager",
        // cert-manager/cert-manager: values read at tag v1.21.1; v1.21.2 is the patch release after it.
        chart: { repo: "https://charts.jetstack.io", name: "cert-manager", version: "v1.21.2" },
        namespace: "cert-manager",
        pool: "platform",
        workloads: [
            workload("controller", "Deployment", replicas, { resources: "resources", replicas: "replicaCount", placement: "" }, r("25m", "96Mi"), r("200m", "256Mi")),
            workload("webhook", "Deployment", replicas, { resources: "webhook.resources", replicas: "webhook.replicaCount", placement: "webhook" }, r("10m", "32Mi"), r("100m", "96Mi")),
            workload("cainjector", "Deployment", replicas, { resources: "cainjector.resources", replicas: "cainjector.replicaCount", placement: "cainjector" }, r("10m", "64Mi"), r("100m", "192Mi")),
            workload("startupapicheck", "Job", 1, { resources: "startupapicheck.resources", placement: "startupapicheck" }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [],
    };
}

function vault(ctx: CatalogContext): CatalogApp {
    return {
        name: "vault",
        // hashicorp/vault-helm tag v0.34.1 (Vault 2.0.4)
        chart: { repo: "https://helm.releases.hashicorp.com", name: "vault", version: "0.34.1" },
        namespace: "vault",
        pool: "platform",
        host: "vault",
        workloads: [
            // dev mode is one in-memory server; HA is a three-node raft cluster.
            workload("server", "StatefulSet", ctx.ha ? 3 : 1, { resources: "server.resources", replicas: ctx.ha ? "server.ha.replicas" : undefined, placement: "server" }, r("250m", "256Mi"), r("1", "512Mi")),
        ],
        policyExceptions: [],
    };
}

function externalSecrets(ctx: CatalogContext): CatalogApp {
    const replicas = ctx.ha ? 2 : 1;
    return {
        name: "external-secrets",
        // external-secrets/external-secrets tag helm-chart-2.9.0
        chart: { repo: "https://charts.external-secrets.io", name: "external-secrets", version: "2.9.0" },
        namespace: "external-secrets",
        pool: "platform",
        workloads: [
            workload("controller", "Deployment", replicas, { resources: "resources", replicas: "replicaCount", placement: "" }, r("20m", "64Mi"), r("200m", "256Mi")),
            workload("webhook", "Deployment", replicas, { resources: "webhook.resources", replicas: "webhook.replicaCount", placement: "webhook" }, r("10m", "32Mi"), r("100m", "128Mi")),
            workload("cert-controller", "Deployment", 1, { resources: "certController.resources", replicas: "certController.replicaCount", placement: "certController" }, r("10m", "64Mi"), r("100m", "256Mi")),
        ],
        policyExceptions: [],
    };
}

function kyverno(ctx: CatalogContext): CatalogApp {
    const controller = (key: string, name: string, requests: Resources, limits: Resources) =>
        workload(name, "Deployment", 1, { resources: `${key}.resources`, replicas: `${key}.replicas`, placement: key }, requests, limits);
    return {
        name: "kyverno",
        // kyverno/kyverno: values read at tag kyverno-chart-3.9.0; 3.9.1 (Kyverno 1.19.1) is its patch release.
        chart: { repo: "https://kyverno.github.io/kyverno/", name: "kyverno", version: "3.9.1" },
        namespace: "kyverno",
        pool: "apps",
        workloads: [
            {
                name: "admission-controller",
                kind: "Deployment",
                replicas: ctx.ha ? 3 : 1,
                replicasPath: "admissionController.replicas",
                placementPath: "admissionController",
                containers: [
                    container("kyverno", "admissionController.container.resources", r("100m", "128Mi"), r("500m", "384Mi")),
                    container("kyverno-pre", "admissionController.initContainer.resources", r("10m", "64Mi"), r("100m", "256Mi"), true),
                ],
            },
            controller("backgroundController", "background-controller", r("100m", "64Mi"), r("500m", "256Mi")),
            controller("cleanupController", "cleanup-controller", r("100m", "64Mi"), r("500m", "128Mi")),
            controller("reportsController", "reports-controller", r("100m", "64Mi"), r("500m", "256Mi")),
            // Hook Jobs: CRD migration after upgrades, webhook clean-up before deletion.
            workload("migrate-resources", "Job", 1, { resources: "crds.migration.podResources", placement: "crds.migration" }, r("10m", "64Mi"), r("100m", "256Mi")),
            workload("webhooks-cleanup", "Job", 1, { resources: "webhooksCleanup.resources", placement: "webhooksCleanup" }, r("10m", "64Mi"), r("100m", "256Mi")),
        ],
        policyExceptions: [],
    };
}

function argoCd(ctx: CatalogContext): CatalogApp {
    const component = (key: string, name: string, replicas: number, requests: Resources, limits: Resources) =>
        workload(name, "Deployment", replicas, { resources: `${key}.resources`, replicas: `${key}.replicas`, placement: key }, requests, limits);
    const scaled = ctx.ha ? 2 : 1;
    return {
        name: "argo-cd",
        // argoproj/argo-helm tag argo-cd-10.1.1
        chart: { repo: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "10.1.1" },
        namespace: "argocd",
        pool: "platform",
        host: "argocd",
        workloads: [
            { ...component("controller", "application-controller", 1, r("250m", "512Mi"), r("1", "1Gi")), kind: "StatefulSet" },
            {
                ...component("repoServer", "repo-server", scaled, r("50m", "128Mi"), r("1", "512Mi")),
                containers: [
                    container("repo-server", "repoServer.resources", r("50m", "128Mi"), r("1", "512Mi")),
                    container("copyutil", "repoServer.copyutil.resources", r("10m", "32Mi"), r("50m", "64Mi"), true),
                ],
            },
            component("server", "server", scaled, r("50m", "64Mi"), r("500m", "256Mi")),
            component("applicationSet", "applicationset-controller", scaled, r("50m", "64Mi"), r("500m", "256Mi")),
            component("notifications", "notifications-controller", 1, r("20m", "64Mi"), r("200m", "128Mi")),
            // One redis in dev; with ha the redis-ha subchart: three redis+sentinel pods behind three HAProxies.
            ...(ctx.ha ? redisHa() : [component("redis", "redis", 1, r("50m", "64Mi"), r("200m", "256Mi"))]),
            workload("redis-secret-init", "Job", 1, { resources: "redisSecretInit.resources", placement: "redisSecretInit" }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [],
    };
}

/** argo-cd's redis-ha subchart (DandyDeveloper/charts redis-ha values). */
function redisHa(): Workload[] {
    return [
        {
            name: "redis-ha-server",
            kind: "StatefulSet",
            replicas: 3,
            replicasPath: "redis-ha.replicas",
            placementPath: "redis-ha",
            containers: [
                container("redis", "redis-ha.redis.resources", r("50m", "64Mi"), r("200m", "256Mi")),
                container("sentinel", "redis-ha.sentinel.resources", r("20m", "32Mi"), r("100m", "64Mi")),
                container("split-brain-fix", "redis-ha.splitBrainDetection.resources", r("10m", "16Mi"), r("50m", "32Mi")),
                container("config-init", "redis-ha.init.resources", r("10m", "16Mi"), r("50m", "32Mi"), true),
            ],
        },
        {
            name: "redis-ha-haproxy",
            kind: "Deployment",
            replicas: 3,
            replicasPath: "redis-ha.haproxy.replicas",
            placementPath: "redis-ha.haproxy",
            containers: [
                container("haproxy", "redis-ha.haproxy.resources", r("20m", "32Mi"), r("100m", "64Mi")),
                container("config-init", "redis-ha.haproxy.init.resources", r("10m", "16Mi"), r("50m", "32Mi"), true),
            ],
        },
    ];
}

/** The add-ons Pulumi installs with Helm, in no particular order (they install in parallel). */
export function coreAddons(ctx: CatalogContext): CatalogApp[] {
    return [ctx.ingressController === "traefik" ? traefik(ctx) : ingressNginx(ctx), certManager(ctx), vault(ctx), externalSecrets(ctx), kyverno(ctx), argoCd(ctx)];
}

// --- Apps Argo CD runs from the app-of-apps ------------------------------------------------

/** AppProjects group apps; each project may deploy only its apps' charts into their namespaces. */
export type AppGroup = "developer-experience" | "delivery" | "data" | "observability" | "security";

/** A Kubernetes Secret an app reads, delivered by External Secrets from a platform Vault path. */
export interface AppSecret {
    /** Name of the Kubernetes Secret in the app's namespace. */
    readonly name: string;
    /** Path under the platform KV mount, e.g. `backstage/backend`. */
    readonly vaultPath: string;
    /** Secret key → property of the Vault secret. */
    readonly keys: Readonly<Record<string, string>>;
}

/** What an app's chart-specific values depend on. */
export interface AppValuesContext {
    readonly domain: string;
    readonly clusterIssuer: string;
    readonly ingressClassName: string;
}

export interface GitOpsApp extends CatalogApp {
    readonly group: AppGroup;
    /** Argo CD sync wave: an app syncs after every app of a lower wave is healthy. */
    readonly wave: number;
    /** Catalog apps this one needs first (operators and CRDs, databases, secrets' sources). */
    readonly dependsOn: readonly string[];
    readonly enabledByDefault: boolean;
    /** Charts with CRDs too large for client-side apply need Argo CD's server-side apply. */
    readonly serverSideApply: boolean;
    readonly secrets: readonly AppSecret[];
    /** Chart-specific values; the catalog's resources, replicas and placement are merged over them. */
    readonly values: (ctx: AppValuesContext) => Record<string, unknown>;
}

/** Fields most Argo CD-run apps share; an entry states only where it differs. */
type AppDefaults = "wave" | "dependsOn" | "enabledByDefault" | "serverSideApply" | "secrets" | "policyExceptions";

function gitopsApp(spec: Omit<GitOpsApp, AppDefaults> & Partial<Pick<GitOpsApp, AppDefaults>>): GitOpsApp {
    return { wave: 0, dependsOn: [], enabledByDefault: true, serverSideApply: false, secrets: [], policyExceptions: [], ...spec };
}

function cloudNativePg(): GitOpsApp {
    return gitopsApp({
        name: "cloudnative-pg",
        // cloudnative-pg/charts charts/cloudnative-pg 0.29.0 (operator 1.30.0)
        chart: { repo: "https://cloudnative-pg.github.io/charts", name: "cloudnative-pg", version: "0.29.0" },
        namespace: "cnpg-system",
        pool: "platform",
        group: "data",
        serverSideApply: true,
        workloads: [workload("operator", "Deployment", 1, { resources: "resources", replicas: "replicaCount", placement: "" }, r("50m", "128Mi"), r("500m", "256Mi"))],
        values: () => ({ crds: { create: true } }),
    });
}

function argoRollouts(): GitOpsApp {
    return gitopsApp({
        name: "argo-rollouts",
        // argoproj/argo-helm charts/argo-rollouts 2.41.0 (Argo Rollouts v1.9.0)
        chart: { repo: "https://argoproj.github.io/argo-helm", name: "argo-rollouts", version: "2.41.0" },
        namespace: "argo-rollouts",
        pool: "apps",
        group: "delivery",
        workloads: [workload("controller", "Deployment", 1, { resources: "controller.resources", replicas: "controller.replicas", placement: "controller" }, r("50m", "64Mi"), r("200m", "256Mi"))],
        values: () => ({ installCRDs: true, dashboard: { enabled: false } }),
    });
}

function trivyOperator(): GitOpsApp {
    // Vulnerability scans run as Jobs in the operator's namespace; two at a time keeps them
    // inside the quota (the chart would allow ten).
    const concurrentScans = 2;
    return gitopsApp({
        name: "trivy-operator",
        // aquasecurity/trivy-operator deploy/helm 0.34.0 (operator 0.32.0)
        chart: { repo: "https://aquasecurity.github.io/helm-charts/", name: "trivy-operator", version: "0.34.0" },
        namespace: "trivy-system",
        pool: "apps",
        group: "security",
        serverSideApply: true,
        workloads: [
            workload("operator", "Deployment", 1, { resources: "resources", replicas: "operator.replicas", placement: "" }, r("100m", "128Mi"), r("500m", "512Mi")),
            // Scan Jobs are created by the operator, not by Helm; they count against the quota.
            workload("scan-job", "Job", concurrentScans, { resources: "trivy.resources" }, r("100m", "100Mi"), r("500m", "500Mi")),
        ],
        values: () => ({ operator: { scanJobsConcurrentLimit: concurrentScans } }),
    });
}

/** Ingress values in the shape most charts use: class, TLS from the cluster issuer, one host. */
function ingressFor(ctx: AppValuesContext, host: string) {
    return {
        enabled: true,
        ingressClassName: ctx.ingressClassName,
        annotations: { "cert-manager.io/cluster-issuer": ctx.clusterIssuer },
        tls: [{ secretName: `${host}-tls`, hosts: [`${host}.${ctx.domain}`] }],
    };
}

function kubePrometheusStack(): GitOpsApp {
    const reloader = (init = false) => container(init ? "init-config-reloader" : "config-reloader", "prometheusOperator.prometheusConfigReloader.resources", r("10m", "32Mi"), r("100m", "64Mi"), init);
    const webhookJob = (name: string) => workload(name, "Job", 1, { resources: "prometheusOperator.admissionWebhooks.patch.resources", placement: "prometheusOperator.admissionWebhooks.patch" }, r("10m", "32Mi"), r("100m", "64Mi"));
    return gitopsApp({
        name: "kube-prometheus-stack",
        // prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1)
        chart: { repo: "https://prometheus-community.github.io/helm-charts", name: "kube-prometheus-stack", version: "88.5.3" },
        namespace: "monitoring",
        pool: "platform",
        group: "observability",
        // Its CRDs exceed the annotation size client-side apply needs.
        serverSideApply: true,
        workloads: [
            workload("operator", "Deployment", 1, { resources: "prometheusOperator.resources", placement: "prometheusOperator" }, r("100m", "128Mi"), r("500m", "256Mi")),
            {
                name: "prometheus",
                kind: "StatefulSet",
                replicas: 1,
                replicasPath: "prometheus.prometheusSpec.replicas",
                placementPath: "prometheus.prometheusSpec",
                containers: [container("prometheus", "prometheus.prometheusSpec.resources", r("200m", "1Gi"), r("1", "2Gi")), reloader(), reloader(true)],
            },
            {
                name: "alertmanager",
                kind: "StatefulSet",
                replicas: 1,
                replicasPath: "alertmanager.alertmanagerSpec.replicas",
                placementPath: "alertmanager.alertmanagerSpec",
                containers: [container("alertmanager", "alertmanager.alertmanagerSpec.resources", r("20m", "64Mi"), r("200m", "256Mi")), reloader(), reloader(true)],
            },
            workload("kube-state-metrics", "Deployment", 1, { resources: "kube-state-metrics.resources", replicas: "kube-state-metrics.replicas", placement: "kube-state-metrics" }, r("20m", "64Mi"), r("200m", "256Mi")),
            // Node metrics come from every node, so node-exporter keeps the chart's own placement.
            { ...workload("node-exporter", "DaemonSet", 1, { resources: "prometheus-node-exporter.resources" }, r("20m", "32Mi"), r("200m", "64Mi")), everyNode: true },
            webhookJob("admission-create"),
            webhookJob("admission-patch"),
        ],
        policyExceptions: [{ policy: "disallow-host-namespaces", reason: "node-exporter reads node metrics through the host network and PID namespaces" }],
        values: () => ({
            // Grafana runs from its own chart; kube-prometheus-stack still ships its dashboards and datasource.
            grafana: { enabled: false, forceDeployDashboards: true, forceDeployDatasources: true },
            prometheus: {
                prometheusSpec: {
                    retention: "7d",
                    storageSpec: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } } } },
                },
            },
        }),
    });
}

function grafana(): GitOpsApp {
    const sidecar = (name: string) => container(name, "sidecar.resources", r("20m", "64Mi"), r("100m", "128Mi"));
    return gitopsApp({
        name: "grafana",
        // grafana-community/helm-charts tag grafana-12.11.1 (Grafana 13.2.0): the chart left grafana/helm-charts.
        chart: { repo: "https://grafana-community.github.io/helm-charts", name: "grafana", version: "12.11.1" },
        namespace: "grafana",
        pool: "platform",
        host: "grafana",
        group: "observability",
        wave: 1,
        dependsOn: ["kube-prometheus-stack"],
        secrets: [{ name: "grafana-admin", vaultPath: "grafana/admin", keys: { "admin-user": "username", "admin-password": "password" } }],
        workloads: [
            {
                name: "grafana",
                kind: "Deployment",
                replicas: 1,
                replicasPath: "replicas",
                placementPath: "",
                containers: [container("grafana", "resources", r("100m", "128Mi"), r("500m", "512Mi")), sidecar("grafana-sc-dashboard"), sidecar("grafana-sc-datasources")],
            },
        ],
        values: (ctx) => ({
            admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
            ingress: { ...ingressFor(ctx, "grafana"), hosts: [`grafana.${ctx.domain}`] },
            // Pick up the dashboards and datasource kube-prometheus-stack deploys as labelled ConfigMaps.
            sidecar: {
                dashboards: { enabled: true, label: "grafana_dashboard", searchNamespace: "ALL" },
                datasources: { enabled: true, label: "grafana_datasource", searchNamespace: "ALL" },
            },
        }),
    });
}

function jenkins(): GitOpsApp {
    // Build agents are pods the controller starts in its namespace, on the apps pool; at most this many at once.
    const agents = 2;
    return gitopsApp({
        name: "jenkins",
        // jenkinsci/helm-charts tag jenkins-5.9.53 (Jenkins 2.568.2)
        chart: { repo: "https://charts.jenkins.io", name: "jenkins", version: "5.9.53" },
        namespace: "jenkins",
        pool: "ci",
        host: "jenkins",
        group: "delivery",
        wave: 1,
        secrets: [{ name: "jenkins-admin", vaultPath: "jenkins/admin", keys: { "jenkins-admin-user": "username", "jenkins-admin-password": "password" } }],
        workloads: [
            {
                name: "controller",
                kind: "StatefulSet",
                replicas: 1,
                placementPath: "controller",
                containers: [
                    container("jenkins", "controller.resources", r("200m", "1Gi"), r("2", "2Gi")),
                    container("config-reload", "controller.sidecars.configAutoReload.resources", r("20m", "64Mi"), r("100m", "128Mi")),
                    container("config-reload-init", "controller.sidecars.configAutoReload.resources", r("20m", "64Mi"), r("100m", "128Mi"), true),
                    container("init", "controller.initContainerResources", r("50m", "256Mi"), r("500m", "512Mi"), true),
                ],
            },
            // Counted in the jenkins namespace's quota; scheduled on the apps pool (agent.nodeSelector below).
            workload("agent", "Job", agents, { resources: "agent.resources" }, r("500m", "512Mi"), r("1", "1Gi")),
        ],
        policyExceptions: [
            { policy: "require-app-name-label", reason: "agent pods started by the Kubernetes plugin carry jenkins/* labels (not verified against a running controller)" },
        ],
        values: (ctx) => ({
            controller: {
                admin: { existingSecret: "jenkins-admin" },
                ingress: { ...ingressFor(ctx, "jenkins"), hostName: `jenkins.${ctx.domain}` },
            },
            agent: { containerCap: agents, nodeSelector: { [poolLabel]: "apps" } },
        }),
    });
}

function loki(): GitOpsApp {
    return gitopsApp({
        name: "loki",
        // grafana-community/helm-charts tag loki-18.11.0 (Loki 3.7.6)
        chart: { repo: "https://grafana-community.github.io/helm-charts", name: "loki", version: "18.11.0" },
        namespace: "loki",
        pool: "apps",
        group: "observability",
        workloads: [
            workload("loki", "StatefulSet", 1, { resources: "singleBinary.resources", replicas: "singleBinary.replicas", placement: "singleBinary" }, r("100m", "256Mi"), r("1", "1Gi")),
        ],
        // One single-binary Loki on a filesystem volume, without the caches, gateway, canary and
        // tests the chart runs by default (each would need its own share of the budget).
        values: () => ({
            deploymentMode: "SingleBinary",
            loki: {
                auth_enabled: false,
                commonConfig: { replication_factor: 1 },
                storage: { type: "filesystem" },
                schemaConfig: { configs: [{ from: "2026-01-01", store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "loki_index_", period: "24h" } }] },
            },
            singleBinary: { persistence: { enabled: true, size: "10Gi" } },
            read: { replicas: 0 },
            write: { replicas: 0 },
            backend: { replicas: 0 },
            chunksCache: { enabled: false },
            resultsCache: { enabled: false },
            gateway: { enabled: false },
            lokiCanary: { enabled: false },
            test: { enabled: false },
            sidecar: { rules: { enabled: false } },
        }),
    });
}

function tempo(): GitOpsApp {
    return gitopsApp({
        name: "tempo",
        // grafana-community/helm-charts tag tempo-2.2.4 (Tempo 2.10.8)
        chart: { repo: "https://grafana-community.github.io/helm-charts", name: "tempo", version: "2.2.4" },
        namespace: "tempo",
        pool: "apps",
        group: "observability",
        workloads: [workload("tempo", "StatefulSet", 1, { resources: "tempo.resources", replicas: "replicas", placement: "" }, r("50m", "128Mi"), r("500m", "512Mi"))],
        values: () => ({ tempo: { retention: "72h" }, persistence: { enabled: true, size: "10Gi" } }),
    });
}

function fluentBit(): GitOpsApp {
    return gitopsApp({
        name: "fluent-bit",
        // fluent/helm-charts tag fluent-bit-0.58.1 (Fluent Bit 5.1.1)
        chart: { repo: "https://fluent.github.io/helm-charts", name: "fluent-bit", version: "0.58.1" },
        namespace: "fluent-bit",
        pool: "apps",
        group: "observability",
        wave: 1,
        dependsOn: ["loki"],
        // Logs are collected on every node, the control plane included.
        workloads: [{ ...workload("fluent-bit", "DaemonSet", 1, { resources: "resources" }, r("20m", "64Mi"), r("200m", "128Mi")), everyNode: true }],
        policyExceptions: [{ policy: "require-run-as-non-root", reason: "reads the node's container logs under /var/log, which only root can read" }],
        values: () => ({
            tolerations: [{ operator: "Exists" }],
            config: {
                // Replaces the chart's default Elasticsearch outputs.
                outputs: [
                    "[OUTPUT]",
                    "    Name                   loki",
                    "    Match                  kube.*",
                    "    Host                   loki.loki.svc.cluster.local",
                    "    Port                   3100",
                    "    Labels                 job=fluent-bit",
                    "    Auto_Kubernetes_Labels on",
                    "    Line_Format            json",
                    "",
                ].join("\n"),
            },
        }),
    });
}

function openTelemetryOperator(): GitOpsApp {
    return gitopsApp({
        name: "opentelemetry-operator",
        // open-telemetry/opentelemetry-helm-charts tag opentelemetry-operator-0.122.0 (operator 0.158.0)
        chart: { repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", name: "opentelemetry-operator", version: "0.122.0" },
        namespace: "opentelemetry-operator",
        pool: "apps",
        group: "observability",
        workloads: [workload("manager", "Deployment", 1, { resources: "manager.resources", replicas: "replicaCount", placement: "" }, r("50m", "128Mi"), r("500m", "256Mi"))],
        // Its webhook certificate comes from the platform's cert-manager (the chart default).
        values: () => ({ admissionWebhooks: { certManager: { enabled: true } } }),
    });
}

function devlake(): GitOpsApp {
    const part = (key: string, name: string, kind: WorkloadKind, requests: Resources, limits: Resources) =>
        workload(name, kind, 1, { resources: `${key}.resources`, replicas: `${key}.replicaCount`, placement: key }, requests, limits);
    return gitopsApp({
        name: "devlake",
        // apache/devlake-helm-chart tag devlake-1.0.3-beta15: DevLake publishes only beta charts.
        chart: { repo: "https://apache.github.io/devlake-helm-chart", name: "devlake", version: "1.0.3-beta15" },
        namespace: "devlake",
        pool: "ci",
        host: "devlake",
        group: "delivery",
        wave: 1,
        secrets: [
            // The chart's bundled Grafana reads this Secret by a fixed name, so keep it.
            { name: "devlake-mysql-auth", vaultPath: "devlake/mysql", keys: { MYSQL_PASSWORD: "password", MYSQL_ROOT_PASSWORD: "rootPassword" } },
            { name: "devlake-encryption", vaultPath: "devlake/encryption", keys: { ENCRYPTION_SECRET: "secret" } },
            { name: "devlake-grafana-admin", vaultPath: "grafana/admin", keys: { "admin-user": "username", "admin-password": "password" } },
        ],
        workloads: [
            part("lake", "lake", "Deployment", r("100m", "256Mi"), r("1", "1Gi")),
            part("ui", "ui", "Deployment", r("20m", "64Mi"), r("200m", "128Mi")),
            part("mysql", "mysql", "StatefulSet", r("100m", "512Mi"), r("1", "1Gi")),
            { ...workload("grafana", "Deployment", 1, { resources: "grafana.resources", replicas: "grafana.replicas", placement: "grafana" }, r("50m", "128Mi"), r("500m", "256Mi")) },
        ],
        values: (ctx) => ({
            option: { autoCreateSecret: false, connectionSecretName: "devlake-mysql-auth" },
            lake: { encryptionSecret: { secretName: "devlake-encryption", autoCreateSecret: false } },
            // No volume for the bundled Grafana: its chown init container would run as root.
            grafana: { admin: { existingSecret: "devlake-grafana-admin" }, persistence: { enabled: false } },
            // The chart defaults to NodePort; the UI is reached through the ingress.
            service: { type: "ClusterIP" },
            ingress: {
                enabled: true,
                className: ctx.ingressClassName,
                hostname: `devlake.${ctx.domain}`,
                annotations: { "cert-manager.io/cluster-issuer": ctx.clusterIssuer },
                enableHttps: true,
                tlsSecretName: "devlake-tls",
            },
        }),
    });
}

// Optional apps: off by default, pinned and sized so switching one on is one config line
// and the budget shows what it costs.

function sealedSecrets(): GitOpsApp {
    return gitopsApp({
        name: "sealed-secrets",
        // bitnami/sealed-secrets (moved from bitnami-labs in June 2026) tag helm-v2.19.1 (controller 0.38.4)
        chart: { repo: "https://bitnami.github.io/sealed-secrets", name: "sealed-secrets", version: "2.19.1" },
        // Not kube-system: the tenancy layer owns its namespace. kubeseal then needs
        // --controller-namespace sealed-secrets --controller-name sealed-secrets.
        namespace: "sealed-secrets",
        pool: "platform",
        group: "security",
        enabledByDefault: false,
        workloads: [workload("controller", "Deployment", 1, { resources: "resources", placement: "" }, r("10m", "32Mi"), r("100m", "128Mi"))],
        values: () => ({ fullnameOverride: "sealed-secrets" }),
    });
}

function falco(): GitOpsApp {
    return gitopsApp({
        name: "falco",
        // falcosecurity/charts tag falco-9.1.0 (Falco 0.44.1)
        chart: { repo: "https://falcosecurity.github.io/charts", name: "falco", version: "9.1.0" },
        namespace: "falco",
        pool: "apps",
        group: "security",
        enabledByDefault: false,
        // Runtime detection watches every node's kernel events (chart default requests).
        workloads: [{ ...workload("falco", "DaemonSet", 1, { resources: "resources" }, r("100m", "512Mi"), r("1", "1Gi")), everyNode: true }],
        policyExceptions: [
            { policy: "disallow-privileged-containers", reason: "loads its kernel driver / eBPF probe, which needs a privileged container" },
            { policy: "disallow-host-namespaces", reason: "observes processes of the whole node through the host PID namespace" },
            { policy: "require-run-as-non-root", reason: "kernel instrumentation runs as root" },
        ],
        values: () => ({ tolerations: [{ operator: "Exists" }] }),
    });
}

function velero(): GitOpsApp {
    return gitopsApp({
        name: "velero",
        // vmware-tanzu/helm-charts tag velero-12.1.0 (Velero 1.18.1). Needs a provider plugin
        // and a backup location (bucket) before it is useful; set them in its values here.
        chart: { repo: "https://vmware-tanzu.github.io/helm-charts", name: "velero", version: "12.1.0" },
        namespace: "velero",
        pool: "platform",
        group: "data",
        enabledByDefault: false,
        workloads: [
            workload("velero", "Deployment", 1, { resources: "resources", placement: "" }, r("100m", "128Mi"), r("1", "512Mi")),
            // CRD upgrade hook Job.
            workload("upgrade-crds", "Job", 1, { resources: "kubectl.resources" }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        values: () => ({ deployNodeAgent: false }),
    });
}

function kiali(): GitOpsApp {
    return gitopsApp({
        name: "kiali",
        // kiali/helm-charts tag v2.29.0, chart kiali-server. Useful only with a service mesh (Istio).
        chart: { repo: "https://kiali.org/helm-charts", name: "kiali-server", version: "2.29.0" },
        namespace: "kiali",
        pool: "platform",
        group: "observability",
        enabledByDefault: false,
        workloads: [workload("kiali", "Deployment", 1, { resources: "deployment.resources", replicas: "deployment.replicas" }, r("10m", "64Mi"), r("500m", "1Gi"))],
        // kiali-server spells its node selector in snake case.
        values: () => ({ deployment: { node_selector: { [poolLabel]: "platform" } } }),
    });
}

/** Every app Argo CD can run, enabled or not; `fawkes:apps` switches them. */
export function gitopsApps(): GitOpsApp[] {
    return [cloudNativePg(), argoRollouts(), trivyOperator(), kubePrometheusStack(), grafana(), jenkins(), devlake(), loki(), tempo(), fluentBit(), openTelemetryOperator(), sealedSecrets(), falco(), velero(), kiali()];
}

/** Names `fawkes:apps` accepts. */
export function catalogAppNames(): string[] {
    return gitopsApps().map((a) => a.name);
}

/** The apps a stack runs: defaults, overridden by `fawkes:apps`. */
export function enabledGitopsApps(switches: Readonly<Record<string, boolean>>): GitOpsApp[] {
    return gitopsApps().filter((a) => switches[a.name] ?? a.enabledByDefault);
}
