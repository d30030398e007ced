// Delivery and quality: CI, progressive delivery and DORA metrics.

import { poolLabel } from "../../../policy/lib/labels";
import { container, gitopsApp, ingressFor, issuerAnnotations, keyedWorkload, r, workload } from "../build";
import { containerDefaults } from "../../budget";
import { platformPostgres } from "./data";
import type { GitOpsApp } from "../types";
import { uiAuthAnnotations, uiAuthSecret } from "../ui-auth";

export function argoRollouts(): GitOpsApp {
    return gitopsApp({
        name: "argo-rollouts",
        // argoproj/argo-helm charts/argo-rollouts 2.41.0 (Argo Rollouts v1.9.0)
        chart: { repo: "https://argoproj.github.io/argo-helm", name: "argo-rollouts", version: "2.41.0" },
        namespace: "argo-rollouts",
        pool: "apps",
        group: "delivery",
        workloads: [workload("argo-rollouts", "Deployment", 1, { resources: "controller.resources", replicas: "controller.replicas", placement: "controller" }, r("50m", "64Mi"), r("200m", "256Mi"))],
        values: () => ({ installCRDs: true, dashboard: { enabled: false } }),
    });
}

export function jenkins(): GitOpsApp {
    // Build agents are pods the controller starts in its namespace, on the apps pool; at most this many at once.
    const agents = 2;
    return gitopsApp({
        name: "jenkins",
        // jenkinsci/helm-charts tag jenkins-5.9.53 (Jenkins 2.568.2)
        chart: { repo: "https://charts.jenkins.io", name: "jenkins", version: "5.9.53" },
        namespace: "jenkins",
        pool: "ci",
        host: "jenkins",
        login: { vaultPath: "jenkins/admin" },
        group: "delivery",
        wave: 1,
        secrets: [{ name: "jenkins-admin", vaultPath: "jenkins/admin", keys: { "jenkins-admin-user": "username", "jenkins-admin-password": "password" } }],
        workloads: [
            {
                name: "jenkins",
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
            {
                // Agent pods `default-<id>` that the Kubernetes plugin starts from the chart's pod template:
                // counted in the jenkins namespace's quota, scheduled on the apps pool.
                ...workload({ object: "default", container: "jnlp" }, "Pod", agents, { resources: "agent.resources" }, r("500m", "512Mi"), r("1", "1Gi")),
                createdBy: { operator: "jenkins", source: "jenkinsci/kubernetes-plugin PodTemplateBuilder.java; chart jenkins-5.9.53 templates/_helpers.tpl (jenkins.kubernetes-cloud)" },
                transient: true,
                pool: "apps",
            },
        ],
        values: (ctx) => ({
            controller: {
                admin: { existingSecret: "jenkins-admin" },
                ingress: { ...ingressFor(ctx, "jenkins"), hostName: `jenkins.${ctx.domain}` },
            },
            agent: {
                containerCap: agents,
                nodeSelector: { [poolLabel]: "apps" },
                // The Kubernetes plugin labels agent pods only with jenkins/* labels.
                podLabels: { "app.kubernetes.io/name": "jenkins-agent" },
                // The inbound-agent image's USER is the name `jenkins`, which the kubelet cannot check
                // against runAsNonRoot: give its uid, and the restricted security context on every container.
                runAsUser: 1000,
                runAsGroup: 1000,
                restrictedPssSecurityContext: true,
            },
        }),
    });
}

const nonRoot = (uid: number, gid: number) => ({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid });

export function devlake(): GitOpsApp {
    return gitopsApp({
        name: "devlake",
        // apache/devlake-helm-chart tag devlake-1.0.3-beta15: DevLake publishes only beta charts.
        chart: { repo: "https://apache.github.io/devlake-helm-chart", name: "devlake", version: "1.0.3-beta15" },
        namespace: "devlake",
        pool: "ci",
        host: "devlake",
        // The config UI has no login of its own: the ingress asks for this one (see ui-auth.ts).
        login: { vaultPath: "devlake/admin", basicAuth: true },
        group: "delivery",
        wave: 1,
        secrets: [
            uiAuthSecret("devlake", "devlake/admin"),
            // The chart's bundled Grafana reads this Secret by a fixed name, so keep it.
            { name: "devlake-mysql-auth", vaultPath: "devlake/mysql", keys: { MYSQL_PASSWORD: "password", MYSQL_ROOT_PASSWORD: "rootPassword" } },
            { name: "devlake-encryption", vaultPath: "devlake/encryption", keys: { ENCRYPTION_SECRET: "secret" } },
            { name: "devlake-grafana-admin", vaultPath: "grafana/admin", keys: { "admin-user": "username", "admin-password": "password" } },
        ],
        workloads: [
            {
                ...keyedWorkload("lake", { object: "devlake-lake", container: "lake" }, "Deployment", 1, r("100m", "256Mi"), r("1", "1Gi"), "replicaCount"),
                containers: [
                    container("lake", "lake.resources", r("100m", "256Mi"), r("1", "1Gi")),
                    // The chart's wait-for-MySQL init container has no resources setting: its pod gets the
                    // namespace's LimitRange defaults (see the policy exception below).
                    container("waiting-database-ready", undefined, containerDefaults.defaultRequest, containerDefaults.default, true),
                ],
            },
            keyedWorkload("ui", { object: "devlake-ui", container: "config-ui" }, "Deployment", 1, r("20m", "64Mi"), r("200m", "128Mi"), "replicaCount"),
            keyedWorkload("mysql", { object: "devlake-mysql", container: "mysql" }, "StatefulSet", 1, r("100m", "512Mi"), r("1", "1Gi"), "replicaCount"),
            workload({ object: "devlake-grafana", container: "grafana" }, "Deployment", 1, { resources: "grafana.resources", replicas: "grafana.replicas", placement: "grafana" }, r("50m", "128Mi"), r("500m", "256Mi")),
            // Not from the chart: the GitOps tree's hook Job that declares the DORA connection and project.
            workload({ object: "devlake-dora-setup", container: "setup" }, "Job", 1, {}, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        policyExceptions: [
            {
                policy: "require-requests-limits",
                reason: "the chart renders lake's waiting-database-ready init container without a resources field or a value to set one; the pod gets the LimitRange defaults",
                workloads: ["devlake-lake"],
            },
        ],
        values: (ctx) => ({
            option: { autoCreateSecret: false, connectionSecretName: "devlake-mysql-auth" },
            // The chart's default tags float over releases (mysql:8, alpine:3.16): pin patch releases.
            alpine: { image: { repository: "alpine", tag: "3.20.3" } },
            // The chart sets no security context. The lake image runs as devlake (uid 1010, below), the UI as
            // uid 101 (the chart's own suggestion), MySQL's official image as mysql (uid 999).
            ui: { securityContext: { ...nonRoot(101, 1000), fsGroup: 101 } },
            mysql: { image: { repository: "mysql", tag: "8.4.7" }, securityContext: nonRoot(999, 999) },
            lake: { encryptionSecret: { secretName: "devlake-encryption", autoCreateSecret: false }, securityContext: nonRoot(1010, 1010) },
            // No volume for the bundled Grafana: its chown init container would run as root.
            grafana: { admin: { existingSecret: "devlake-grafana-admin" }, persistence: { enabled: false } },
            // The chart defaults to NodePort; the UI is reached through the ingress.
            service: { type: "ClusterIP" },
            ingress: {
                enabled: true,
                className: ctx.ingressClassName,
                hostname: `devlake.${ctx.domain}`,
                // Covers the whole host: the config UI, its API proxy and the bundled Grafana (which has its own login too).
                annotations: { ...issuerAnnotations(ctx), ...uiAuthAnnotations(ctx, "devlake", "devlake") },
                enableHttps: true,
                tlsSecretName: "devlake-tls",
            },
        }),
    });
}

export function sonarqube(): GitOpsApp {
    return gitopsApp({
        name: "sonarqube",
        // SonarSource/helm-chart-sonarqube tag sonarqube-2026.4.0-sonarqube-dce-2026.4.0 (Community Build 26.7)
        chart: { repo: "https://SonarSource.github.io/helm-chart-sonarqube", name: "sonarqube", version: "2026.4.0" },
        namespace: "sonarqube",
        pool: "ci",
        host: "sonarqube",
        login: { vaultPath: "sonarqube/admin" },
        group: "delivery",
        wave: 2,
        dependsOn: [platformPostgres.app],
        database: { name: "sonarqube", owner: "sonarqube", vaultPath: "sonarqube/postgres" },
        secrets: [
            { name: "sonarqube-monitoring", vaultPath: "sonarqube/monitoring", keys: { passcode: "passcode" } },
            { name: "sonarqube-admin", vaultPath: "sonarqube/admin", keys: { password: "password" } },
        ],
        workloads: [
            {
                name: "sonarqube-sonarqube",
                kind: "StatefulSet",
                replicas: 1,
                replicasPath: "replicaCount",
                placementPath: "",
                containers: [
                    // Web server, compute engine and embedded Elasticsearch share the pod.
                    container("sonarqube", "resources", r("250m", "2Gi"), r("2", "4Gi")),
                    // Writes the Elasticsearch bootstrap-check switch into sonar.properties.
                    container("concat-properties", "initContainers.resources", r("10m", "32Mi"), r("100m", "64Mi"), true),
                ],
            },
            // Not from the chart (its hook pod cannot carry the labels the platform requires): the
            // GitOps tree's Job that replaces the default admin password with the one in Vault.
            workload({ object: "sonarqube-admin-password", container: "setup" }, "Job", 1, {}, r("10m", "32Mi"), r("100m", "64Mi")),
        ],
        values: (ctx) => ({
            community: { enabled: true },
            monitoringPasscodeSecretName: "sonarqube-monitoring",
            monitoringPasscodeSecretKey: "passcode",
            jdbcOverwrite: {
                enabled: true,
                jdbcUrl: `jdbc:postgresql://${platformPostgres.host}:${platformPostgres.port}/sonarqube`,
                jdbcUsername: "sonarqube",
                jdbcSecretName: "sonarqube-postgres",
                jdbcSecretPasswordKey: "password",
            },
            // The chart's sysctl and chown init containers run privileged or as root, which the
            // platform's policies refuse. Without them Elasticsearch cannot raise vm.max_map_count, so
            // its bootstrap checks are off; on cloud nodes set vm.max_map_count=524288 and turn them on.
            initSysctl: { enabled: false },
            initFs: { enabled: false },
            elasticsearch: { bootstrapChecks: false },
            persistence: { enabled: true, size: "10Gi" },
            // The chart labels the pod only with app/release.
            podLabels: { "app.kubernetes.io/name": "sonarqube" },
            // Argo CD skips Helm test hooks anyway.
            tests: { enabled: false },
            ingress: { ...ingressFor(ctx, "sonarqube"), hosts: [{ name: `sonarqube.${ctx.domain}` }] },
        }),
    });
}

export function harbor(): GitOpsApp {
    return gitopsApp({
        name: "harbor",
        // goharbor/harbor-helm tag v1.19.1 (Harbor 2.15.1)
        chart: { repo: "https://helm.goharbor.io", name: "harbor", version: "1.19.1" },
        namespace: "harbor",
        pool: "ci",
        host: "harbor",
        login: { vaultPath: "harbor/admin" },
        group: "delivery",
        wave: 2,
        dependsOn: [platformPostgres.app],
        database: { name: "harbor", owner: "harbor", vaultPath: "harbor/postgres" },
        // Argo CD renders charts without cluster access, so every value Harbor would otherwise
        // generate on each render (and restart its pods for) comes from Vault instead. The
        // names differ from the Secrets the chart itself renders (harbor-core, -jobservice,
        // -registry), which would otherwise have two owners.
        secrets: [
            { name: "harbor-admin", vaultPath: "harbor/admin", keys: { HARBOR_ADMIN_PASSWORD: "password" } },
            { name: "harbor-core-keys", vaultPath: "harbor/core", keys: { secretKey: "secretKey", secret: "secret", CSRF_KEY: "csrfKey" } },
            { name: "harbor-core-token", vaultPath: "harbor/core", keys: { "tls.key": "key", "tls.crt": "certificate" }, type: "kubernetes.io/tls" },
            { name: "harbor-jobservice-keys", vaultPath: "harbor/jobservice", keys: { JOBSERVICE_SECRET: "secret" } },
            { name: "harbor-registry-keys", vaultPath: "harbor/registry", keys: { REGISTRY_HTTP_SECRET: "httpSecret" } },
            { name: "harbor-registry-credentials", vaultPath: "harbor/registry", keys: { REGISTRY_PASSWD: "password", REGISTRY_HTPASSWD: "htpasswd" } },
        ],
        workloads: [
            keyedWorkload("portal", { object: "harbor-portal", container: "portal" }, "Deployment", 1, r("20m", "32Mi"), r("200m", "128Mi")),
            keyedWorkload("core", { object: "harbor-core", container: "core" }, "Deployment", 1, r("50m", "128Mi"), r("500m", "512Mi")),
            keyedWorkload("jobservice", { object: "harbor-jobservice", container: "jobservice" }, "Deployment", 1, r("20m", "64Mi"), r("500m", "256Mi")),
            {
                name: "harbor-registry",
                kind: "Deployment",
                replicas: 1,
                replicasPath: "registry.replicas",
                placementPath: "registry",
                containers: [
                    container("registry", "registry.registry.resources", r("50m", "128Mi"), r("500m", "512Mi")),
                    container("registryctl", "registry.controller.resources", r("20m", "64Mi"), r("200m", "256Mi")),
                ],
            },
            keyedWorkload("trivy", { object: "harbor-trivy", container: "trivy" }, "StatefulSet", 1, r("100m", "256Mi"), r("1", "1Gi")),
            // The chart runs exactly one redis; it has no replica setting.
            workload({ object: "harbor-redis", container: "redis" }, "StatefulSet", 1, { resources: "redis.internal.resources", placement: "redis.internal" }, r("20m", "64Mi"), r("200m", "256Mi")),
        ],
        values: (ctx) => {
            const host = `harbor.${ctx.domain}`;
            return {
                externalURL: ctx.externalUrl("harbor"),
                expose: {
                    type: "ingress",
                    // The ingress certificate comes from cert-manager, not from the chart's own CA.
                    tls: { enabled: true, certSource: "secret", secret: { secretName: "harbor-tls" } },
                    ingress: { hosts: { core: host }, className: ctx.ingressClassName, annotations: issuerAnnotations(ctx) },
                },
                // The portal's "download CA" link: the ingress certificate's issuer.
                caSecretName: "harbor-tls",
                existingSecretAdminPassword: "harbor-admin",
                existingSecretAdminPasswordKey: "HARBOR_ADMIN_PASSWORD",
                existingSecretSecretKey: "harbor-core-keys",
                core: { existingSecret: "harbor-core-keys", existingXsrfSecret: "harbor-core-keys", existingXsrfSecretKey: "CSRF_KEY", secretName: "harbor-core-token" },
                jobservice: { existingSecret: "harbor-jobservice-keys", existingSecretKey: "JOBSERVICE_SECRET" },
                registry: {
                    existingSecret: "harbor-registry-keys",
                    existingSecretKey: "REGISTRY_HTTP_SECRET",
                    credentials: { username: "harbor_registry_user", existingSecret: "harbor-registry-credentials" },
                },
                // Registry and job logs sit on ReadWriteOnce volumes: replace pods instead of surging.
                updateStrategy: { type: "Recreate" },
                database: {
                    type: "external",
                    external: {
                        host: platformPostgres.host,
                        port: String(platformPostgres.port),
                        username: "harbor",
                        coreDatabase: "harbor",
                        existingSecret: "harbor-postgres",
                        sslmode: "require",
                    },
                },
                redis: { type: "internal" },
                trivy: { enabled: true },
                metrics: { enabled: false },
                persistence: { enabled: true, persistentVolumeClaim: { registry: { size: "20Gi" } } },
            };
        },
    });
}

/** Kargo promotes changes between environments on top of Argo CD. */
export function kargo(): GitOpsApp {
    // The chart fixes one replica for the controllers; the servers have a replicas setting.
    const component = (key: string, name: string, replicasField: string | null, container = name) =>
        keyedWorkload(key, { object: `kargo-${name}`, container }, "Deployment", 1, r("50m", "128Mi"), r("500m", "512Mi"), replicasField);
    return gitopsApp({
        name: "kargo",
        // akuity/kargo tag v1.11.2. Published only as an OCI chart: Argo CD takes the registry
        // path without the oci:// scheme, and needs no credentials for this public one.
        chart: { repo: "ghcr.io/akuity/kargo-charts", name: "kargo", version: "1.11.2" },
        namespace: "kargo",
        // Resources Kargo keeps for cluster-scoped objects and for all projects; the chart would create these namespaces itself.
        extraNamespaces: ["kargo-system-resources", "kargo-shared-resources"],
        pool: "apps",
        host: "kargo",
        login: { vaultPath: "kargo/admin", username: "admin" },
        group: "delivery",
        wave: 1,
        enabledByDefault: false,
        secrets: [
            {
                name: "kargo-api",
                vaultPath: "kargo/admin",
                keys: { ADMIN_ACCOUNT_PASSWORD_HASH: "passwordHash", ADMIN_ACCOUNT_TOKEN_SIGNING_KEY: "tokenSigningKey" },
            },
        ],
        workloads: [
            component("api", "api", "replicas"),
            component("controller", "controller", null),
            component("managementController", "management-controller", null),
            component("webhooksServer", "webhooks-server", "replicas"),
            // The external webhooks server runs the same container as the webhooks server.
            component("externalWebhooksServer", "external-webhooks-server", "replicas", "webhooks-server"),
            // An hourly CronJob.
            workload({ object: "kargo-garbage-collector", container: "garbage-collector" }, "CronJob", 1, { resources: "garbageCollector.resources", placement: "garbageCollector" }, r("50m", "128Mi"), r("500m", "512Mi")),
        ],
        values: (ctx) => ({
            global: {
                // The chart sets no security context; the images run as uid 65532.
                securityContext: { runAsNonRoot: true },
                // The tenancy layer owns namespaces; the deprecated cluster-secrets namespace folds into the system one.
                clusterSecretsNamespace: "kargo-system-resources",
                createClusterSecretsNamespace: false,
                systemResources: { namespace: "kargo-system-resources", createNamespace: false },
                sharedResources: { namespace: "kargo-shared-resources", createNamespace: false },
            },
            api: {
                host: `kargo.${ctx.domain}`,
                secret: { name: "kargo-api" },
                // TLS ends at the ingress controller, with a certificate from the cluster issuer.
                tls: { enabled: false, terminatedUpstream: true },
                ingress: {
                    enabled: true,
                    ingressClassName: ctx.ingressClassName,
                    annotations: issuerAnnotations(ctx),
                    tls: { enabled: true, selfSignedCert: false, secretName: "kargo-tls" },
                },
            },
        }),
    });
}
