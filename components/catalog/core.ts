// The core add-ons Pulumi installs with Helm before Argo CD takes over.

import { container, keyedWorkload, r, workload } from "./build";
import type { CatalogApp, CatalogContext, PolicyException, Workload } from "./types";

// --- Ingress controllers -----------------------------------------------------------------

/** On kind the controller binds host ports on the single ingress-ready node: one replica there. */
const ingressReplicas = (ctx: CatalogContext) => (ctx.ha && ctx.provider !== "kind" ? 2 : 1);

/** On kind the ingress controller binds the node's ports 80 and 443 (kind maps them to the laptop): a baseline exception there only. */
function hostPortException(ctx: CatalogContext, controller: string): PolicyException[] {
    return ctx.provider === "kind" ? [{ policy: "disallow-host-ports", reason: "on kind the controller serves the laptop's ports 80 and 443 through host ports on the ingress-ready node", workloads: [controller] }] : [];
}

function traefik(ctx: CatalogContext): CatalogApp {
    return {
        name: "traefik",
        // traefik/traefik-helm-chart tag v41.3.0 (Traefik v3.7.11)
        chart: { repo: "https://traefik.github.io/charts", name: "traefik", version: "41.3.0" },
        namespace: "traefik",
        pool: ingressPool(ctx),
        workloads: [workload("traefik", "Deployment", ingressReplicas(ctx), { resources: "resources", replicas: "deployment.replicas", placement: "" }, r("100m", "128Mi"), r("500m", "256Mi"))],
        policyExceptions: hostPortException(ctx, "traefik"),
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
            workload({ object: "ingress-nginx-controller", container: "controller" }, "Deployment", ingressReplicas(ctx), { resources: "controller.resources", replicas: "controller.replicaCount", placement: "controller" }, r("100m", "128Mi"), r("500m", "384Mi")),
            // Both webhook-certificate Jobs take their placement from `patch`.
            workload({ object: "ingress-nginx-admission-create", container: "create" }, "Job", 1, { resources: `${webhooks}.createSecretJob.resources`, placement: `${webhooks}.patch` }, r("10m", "32Mi"), r("100m", "64Mi")),
            workload({ object: "ingress-nginx-admission-patch", container: "patch" }, "Job", 1, { resources: `${webhooks}.patchWebhookJob.resources` }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: hostPortException(ctx, "ingress-nginx-controller"),
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
            workload({ object: "cert-manager", container: "cert-manager-controller" }, "Deployment", replicas, { resources: "resources", replicas: "replicaCount", placement: "" }, r("25m", "96Mi"), r("200m", "256Mi")),
            workload("cert-manager-webhook", "Deployment", replicas, { resources: "webhook.resources", replicas: "webhook.replicaCount", placement: "webhook" }, r("10m", "32Mi"), r("100m", "96Mi")),
            workload("cert-manager-cainjector", "Deployment", replicas, { resources: "cainjector.resources", replicas: "cainjector.replicaCount", placement: "cainjector" }, r("10m", "64Mi"), r("100m", "192Mi")),
            workload("cert-manager-startupapicheck", "Job", 1, { resources: "startupapicheck.resources", placement: "startupapicheck" }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [],
    };
}

function vault(ctx: CatalogContext): CatalogApp {
    const server = container("vault", "server.resources", r("250m", "256Mi"), r("1", "512Mi"));
    // HA (TLS): a sidecar that sends the server SIGHUP when cert-manager renews its certificate, a
    // shell loop of the server's own image. components/addons/vault.ts writes it into the chart's
    // extraContainers (a list, so no values path) with these resources.
    const tlsReload = container("tls-reload", undefined, r("5m", "16Mi"), r("50m", "32Mi"));
    return {
        name: "vault",
        // hashicorp/vault-helm tag v0.34.1 (Vault 2.0.4)
        chart: { repo: "https://helm.releases.hashicorp.com", name: "vault", version: "0.34.1" },
        namespace: "vault",
        pool: "platform",
        host: "vault",
        workloads: [
            // dev mode is one in-memory server; HA is a three-node raft cluster.
            {
                name: "vault",
                kind: "StatefulSet",
                replicas: ctx.ha ? 3 : 1,
                replicasPath: ctx.ha ? "server.ha.replicas" : undefined,
                placementPath: "server",
                containers: ctx.ha ? [server, tlsReload] : [server],
            },
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
            workload("external-secrets", "Deployment", replicas, { resources: "resources", replicas: "replicaCount", placement: "" }, r("20m", "64Mi"), r("200m", "256Mi")),
            workload({ object: "external-secrets-webhook", container: "webhook" }, "Deployment", replicas, { resources: "webhook.resources", replicas: "webhook.replicaCount", placement: "webhook" }, r("10m", "32Mi"), r("100m", "128Mi")),
            workload({ object: "external-secrets-cert-controller", container: "cert-controller" }, "Deployment", 1, { resources: "certController.resources", replicas: "certController.replicaCount", placement: "certController" }, r("10m", "64Mi"), r("100m", "256Mi")),
        ],
        policyExceptions: [],
    };
}

function kyverno(ctx: CatalogContext): CatalogApp {
    return {
        name: "kyverno",
        // kyverno/kyverno: values read at tag kyverno-chart-3.9.0; 3.9.1 (Kyverno 1.19.1) is its patch release.
        chart: { repo: "https://kyverno.github.io/kyverno/", name: "kyverno", version: "3.9.1" },
        namespace: "kyverno",
        pool: "apps",
        workloads: [
            {
                name: "kyverno-admission-controller",
                kind: "Deployment",
                replicas: ctx.ha ? 3 : 1,
                replicasPath: "admissionController.replicas",
                placementPath: "admissionController",
                containers: [
                    container("kyverno", "admissionController.container.resources", r("100m", "128Mi"), r("500m", "384Mi")),
                    container("kyverno-pre", "admissionController.initContainer.resources", r("10m", "64Mi"), r("100m", "256Mi"), true),
                ],
            },
            keyedWorkload("backgroundController", { object: "kyverno-background-controller", container: "controller" }, "Deployment", 1, r("100m", "64Mi"), r("500m", "256Mi")),
            keyedWorkload("cleanupController", { object: "kyverno-cleanup-controller", container: "controller" }, "Deployment", 1, r("100m", "64Mi"), r("500m", "128Mi")),
            keyedWorkload("reportsController", { object: "kyverno-reports-controller", container: "controller" }, "Deployment", 1, r("100m", "64Mi"), r("500m", "256Mi")),
            // Hook Jobs: CRD migration after upgrades; before deletion, scaling Kyverno to zero and removing its webhooks.
            workload({ object: "kyverno-migrate-resources", container: "kyverno-cli" }, "Job", 1, { resources: "crds.migration.podResources", placement: "crds.migration" }, r("10m", "64Mi"), r("100m", "256Mi")),
            ...["kyverno-scale-to-zero", "kyverno-rm-webhooks"].map((object) =>
                workload({ object, container: "kubectl" }, "Job", 1, { resources: "webhooksCleanup.resources", placement: "webhooksCleanup" }, r("10m", "64Mi"), r("100m", "256Mi")),
            ),
        ],
        policyExceptions: [],
    };
}

function argoCd(ctx: CatalogContext): CatalogApp {
    const scaled = ctx.ha ? 2 : 1;
    return {
        name: "argo-cd",
        // argoproj/argo-helm tag argo-cd-10.1.1
        chart: { repo: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "10.1.1" },
        namespace: "argocd",
        pool: "platform",
        host: "argocd",
        login: { vaultPath: "argocd/admin" },
        workloads: [
            keyedWorkload("controller", { object: "argo-cd-argocd-application-controller", container: "application-controller" }, "StatefulSet", 1, r("250m", "512Mi"), r("1", "1Gi")),
            {
                ...keyedWorkload("repoServer", "argo-cd-argocd-repo-server", "Deployment", scaled, r("50m", "128Mi"), r("1", "512Mi")),
                containers: [
                    container("repo-server", "repoServer.resources", r("50m", "128Mi"), r("1", "512Mi")),
                    container("copyutil", "repoServer.copyutil.resources", r("10m", "32Mi"), r("50m", "64Mi"), true),
                ],
            },
            keyedWorkload("server", { object: "argo-cd-argocd-server", container: "server" }, "Deployment", scaled, r("50m", "64Mi"), r("500m", "256Mi")),
            keyedWorkload("applicationSet", { object: "argo-cd-argocd-applicationset-controller", container: "applicationset-controller" }, "Deployment", scaled, r("50m", "64Mi"), r("500m", "256Mi")),
            keyedWorkload("notifications", { object: "argo-cd-argocd-notifications-controller", container: "notifications-controller" }, "Deployment", 1, r("20m", "64Mi"), r("200m", "128Mi")),
            // One redis in dev; with ha the redis-ha subchart: three redis+sentinel pods behind three HAProxies.
            ...(ctx.ha ? redisHa() : [keyedWorkload("redis", { object: "argo-cd-argocd-redis", container: "redis" }, "Deployment", 1, r("50m", "64Mi"), r("200m", "256Mi"))]),
            workload({ object: "argo-cd-argocd-redis-secret-init", container: "secret-init" }, "Job", 1, { resources: "redisSecretInit.resources", placement: "redisSecretInit" }, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [],
    };
}

/** argo-cd's redis-ha subchart (DandyDeveloper/charts redis-ha values). */
function redisHa(): Workload[] {
    return [
        {
            name: "argo-cd-redis-ha-server",
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
            name: "argo-cd-redis-ha-haproxy",
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


/**
 * external-dns, on a stack with fawkes:dns: the platform's A/CNAME records (and their TXT
 * ownership records) in the stack's Route 53 or Azure DNS zone, from its Ingresses.
 */
function externalDns(): CatalogApp {
    return {
        name: "external-dns",
        // kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1: external-dns v0.21.0, image
        // registry.k8s.io/external-dns/external-dns:v0.21.0 (the chart's appVersion).
        chart: { repo: "https://kubernetes-sigs.github.io/external-dns/", name: "external-dns", version: "1.21.1" },
        namespace: "external-dns",
        pool: "platform",
        // The chart runs exactly one replica (it has no replicas value): one writer per TXT owner id.
        // A few dozen records polled once a minute: well under 50Mi in use.
        workloads: [workload("external-dns", "Deployment", 1, { resources: "resources", placement: "" }, r("10m", "64Mi"), r("100m", "128Mi"))],
        policyExceptions: [],
    };
}

/**
 * The in-cluster Git server of a local stack: Gitea on SQLite with its own volume (the shared
 * PostgreSQL is itself deployed by Argo CD from this server, so it cannot be its store).
 */
function gitServer(): CatalogApp {
    return {
        name: "git",
        chart: giteaChart,
        namespace: "git",
        pool: "apps",
        host: "git",
        // The values set fullnameOverride, so the chart's objects are named after the app.
        workloads: [giteaWorkload("git", r("50m", "192Mi"), r("1", "768Mi"))],
        policyExceptions: [],
        login: { vaultPath: gitServerLogin },
    };
}

/** The git server's admin login is a Kubernetes Secret the program writes, not a Vault path: it must work before Vault is configured. */
export const gitServerLogin = "git/admin";

/** dl.gitea.com/charts gitea 12.7.0 (Gitea 1.27.0); read from the chart in the mirror (a non-upstream build). */
export const giteaChart = { repo: "https://dl.gitea.com/charts", name: "gitea", version: "12.7.0" } as const;

/** Gitea's one pod: the server and the chart's three init containers, which share one resources block. */
export function giteaWorkload(name: string, requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }): Workload {
    const init = (c: string) => container(c, "initContainers.resources", r("50m", "64Mi"), r("500m", "256Mi"), true);
    return {
        name,
        kind: "Deployment",
        replicas: 1,
        replicasPath: "replicaCount",
        placementPath: "",
        containers: [container("gitea", "resources", requests, limits), init("init-directories"), init("init-app-ini"), init("configure-gitea")],
    };
}

/** The add-ons Pulumi installs with Helm, in no particular order (they install in parallel). */
export function coreAddons(ctx: CatalogContext): CatalogApp[] {
    return [
        ctx.ingressController === "traefik" ? traefik(ctx) : ingressNginx(ctx),
        certManager(ctx),
        vault(ctx),
        externalSecrets(ctx),
        kyverno(ctx),
        argoCd(ctx),
        ...(ctx.gitServer ? [gitServer()] : []),
        ...(ctx.dns !== undefined ? [externalDns()] : []),
    ];
}
