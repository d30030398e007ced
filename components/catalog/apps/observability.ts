// Observability: metrics, dashboards, logs and traces.

import { poolLabel } from "../../../policy/lib/labels";
import { container, gitopsApp, ingressFor, r, workload } from "../build";
import type { GitOpsApp } from "../types";

export function kubePrometheusStack(): GitOpsApp {
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

export function grafana(): GitOpsApp {
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

export function loki(): GitOpsApp {
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

export function tempo(): GitOpsApp {
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

export function fluentBit(): GitOpsApp {
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

export function openTelemetryOperator(): GitOpsApp {
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

export function kiali(): GitOpsApp {
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
