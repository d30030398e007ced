// Delivery and quality: CI, progressive delivery and DORA metrics.

import { poolLabel } from "../../../policy/lib/labels";
import { container, gitopsApp, ingressFor, r, workload } from "../build";
import type { GitOpsApp, Resources, WorkloadKind } from "../types";

export function argoRollouts(): GitOpsApp {
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

export function devlake(): GitOpsApp {
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
