// Observability: metrics, dashboards, logs and traces.

import { poolLabel } from "../../../policy/lib/labels";
import { coreNamespaceExclusion } from "../../addons/admission-rules";
import { container, gitopsApp, ingressFor, issuerAnnotations, r, workload } from "../build";
import type { GitOpsApp } from "../types";
import { uiAuthAnnotations, uiAuthSecret } from "../ui-auth";

/** prometheus-operator v0.93 builds the Prometheus and Alertmanager StatefulSets (pkg/prometheus/server, pkg/alertmanager). */
const prometheusOperator = { operator: "kube-prometheus-stack", source: "prometheus-operator v0.93.0 pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go" };

/** Grafana's app and namespace: kube-prometheus-stack puts its dashboards and datasource there. */
const grafanaApp = { app: "grafana", namespace: "grafana" } as const;
/** kube-prometheus-stack's namespace, where its dashboards and datasource ConfigMaps live. */
const kubePrometheusNamespace = "monitoring";
/**
 * node-exporter's own namespace. It needs the host's network, PID namespace and filesystem, so
 * its namespace is labelled privileged; in monitoring it would take the API server's Pod
 * Security check away from Prometheus, Alertmanager, the operator and kube-state-metrics.
 */
const nodeExporterNamespace = "node-exporter";

export function kubePrometheusStack(): GitOpsApp {
    const reloader = (init = false) => container(init ? "init-config-reloader" : "config-reloader", "prometheusOperator.prometheusConfigReloader.resources", r("10m", "32Mi"), r("100m", "64Mi"), init);
    const webhookJob = (name: string) => workload({ object: `kube-prometheus-stack-admission-${name}`, container: name }, "Job", 1, { resources: "prometheusOperator.admissionWebhooks.patch.resources", placement: "prometheusOperator.admissionWebhooks.patch" }, r("10m", "32Mi"), r("100m", "64Mi"));
    return gitopsApp({
        name: "kube-prometheus-stack",
        // prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3 (operator v0.93.1)
        chart: { repo: "https://prometheus-community.github.io/helm-charts", name: "kube-prometheus-stack", version: "88.5.3" },
        namespace: kubePrometheusNamespace,
        pool: "platform",
        group: "observability",
        // Its CRDs exceed the annotation size client-side apply needs.
        serverSideApply: true,
        workloads: [
            workload({ object: "kube-prometheus-stack-operator", container: "kube-prometheus-stack" }, "Deployment", 1, { resources: "prometheusOperator.resources", placement: "prometheusOperator" }, r("100m", "128Mi"), r("500m", "256Mi")),
            {
                // The Prometheus operator makes this StatefulSet from the chart's Prometheus resource.
                name: "prometheus-kube-prometheus-stack-prometheus",
                kind: "StatefulSet",
                createdBy: prometheusOperator,
                replicas: 1,
                replicasPath: "prometheus.prometheusSpec.replicas",
                placementPath: "prometheus.prometheusSpec",
                containers: [
                    container("prometheus", "prometheus.prometheusSpec.resources", r("200m", "1Gi"), r("1", "2Gi")),
                    // Serves Prometheus' data over Thanos' Store API, so Thanos Query is a one-line switch.
                    container("thanos-sidecar", "prometheus.prometheusSpec.thanos.resources", r("20m", "64Mi"), r("200m", "256Mi")),
                    reloader(),
                    reloader(true),
                ],
            },
            {
                name: "alertmanager-kube-prometheus-stack-alertmanager",
                kind: "StatefulSet",
                createdBy: prometheusOperator,
                replicas: 1,
                replicasPath: "alertmanager.alertmanagerSpec.replicas",
                placementPath: "alertmanager.alertmanagerSpec",
                containers: [container("alertmanager", "alertmanager.alertmanagerSpec.resources", r("20m", "64Mi"), r("200m", "256Mi")), reloader(), reloader(true)],
            },
            workload({ object: "kube-prometheus-stack-kube-state-metrics", container: "kube-state-metrics" }, "Deployment", 1, { resources: "kube-state-metrics.resources", replicas: "kube-state-metrics.replicas", placement: "kube-state-metrics" }, r("20m", "64Mi"), r("200m", "256Mi")),
            // Node metrics come from every node, so node-exporter keeps the chart's own placement;
            // it runs in its own privileged namespace (the subchart's namespaceOverride, below).
            {
                ...workload({ object: "kube-prometheus-stack-prometheus-node-exporter", container: "node-exporter" }, "DaemonSet", 1, { resources: "prometheus-node-exporter.resources" }, r("20m", "32Mi"), r("200m", "64Mi")),
                everyNode: true,
                namespace: nodeExporterNamespace,
            },
            webhookJob("create"),
            webhookJob("patch"),
        ],
        policyExceptions: [
            {
                policy: "disallow-host-namespaces",
                reason: "node-exporter reads node metrics through the host network and PID namespaces",
                workloads: ["kube-prometheus-stack-prometheus-node-exporter"],
            },
            {
                policy: "disallow-host-path",
                reason: "node-exporter reads the node's /proc, /sys and root filesystem through hostPath mounts",
                workloads: ["kube-prometheus-stack-prometheus-node-exporter"],
            },
        ],
        values: () => ({
            // Grafana runs from its own chart; kube-prometheus-stack still ships its dashboards and
            // datasource, as labelled ConfigMaps in its own namespace (its project may deploy nowhere
            // else). Grafana's sidecars read them there through a ConfigMap-only Role the program
            // creates (components/config-map-readers.ts): no Secrets, no other namespace.
            grafana: { enabled: false, forceDeployDashboards: true, forceDeployDatasources: true },
            // The subchart renders its DaemonSet, Service, ServiceAccount and ServiceMonitor into
            // node-exporter's namespace. Prometheus still finds the ServiceMonitor there: the chart's
            // Prometheus selects ServiceMonitors by its release label in every namespace
            // (serviceMonitorNamespaceSelector {}), and its ClusterRole reads Services and Endpoints
            // cluster-wide. The recording rules and dashboards select job="node-exporter", not a namespace.
            "prometheus-node-exporter": { namespaceOverride: nodeExporterNamespace },
            // kube-state-metrics would list every Secret of the cluster for its kube_secret_* metrics
            // (names, types, labels), which no dashboard or rule of the stack uses.
            "kube-state-metrics": { collectorsExclude: ["secrets"] },
            // The chart would create Services in kube-system for the control plane's exporters: no app
            // project deploys there. kind binds the controller manager, scheduler, etcd and kube-proxy
            // metrics to 127.0.0.1, and EKS/AKS run the control plane out of reach, so those could not
            // be scraped anyway. CoreDNS can: its ServiceMonitor selects the cluster's own kube-dns
            // Service (port "metrics", 9153) instead of a Service of the chart's.
            kubeControllerManager: { enabled: false },
            kubeScheduler: { enabled: false },
            kubeEtcd: { enabled: false },
            kubeProxy: { enabled: false },
            coreDns: { service: { enabled: false }, serviceMonitor: { port: "metrics", selector: { matchLabels: { "k8s-app": "kube-dns" } } } },
            prometheus: {
                thanosService: { enabled: true },
                prometheusSpec: {
                    // The OpenTelemetry collector sends metrics over OTLP.
                    enableOTLPReceiver: true,
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
        name: grafanaApp.app,
        // grafana-community/helm-charts tag grafana-12.11.1 (Grafana 13.2.0): the chart left grafana/helm-charts.
        chart: { repo: "https://grafana-community.github.io/helm-charts", name: "grafana", version: "12.11.1" },
        namespace: grafanaApp.namespace,
        pool: "platform",
        host: "grafana",
        login: { vaultPath: "grafana/admin" },
        group: "observability",
        wave: 1,
        dependsOn: ["kube-prometheus-stack"],
        secrets: [{ name: "grafana-admin", vaultPath: "grafana/admin", keys: { "admin-user": "username", "admin-password": "password" } }],
        // The chart names its service account after the release.
        configMapReads: [{ namespace: kubePrometheusNamespace, serviceAccount: grafanaApp.app }],
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
            // Pick up the dashboards and datasource kube-prometheus-stack deploys as labelled ConfigMaps
            // in its namespace, and only ConfigMaps. With namespaced RBAC the chart grants a Role in
            // Grafana's own namespace instead of a ClusterRole that reads every Secret of the cluster
            // from an internet-facing pod; the Role in monitoring is the program's, ConfigMaps only
            // (the chart's own Roles would add Secrets).
            rbac: { namespaced: true },
            sidecar: {
                dashboards: { enabled: true, label: "grafana_dashboard", resource: "configmap", searchNamespace: [grafanaApp.namespace, kubePrometheusNamespace] },
                datasources: { enabled: true, label: "grafana_datasource", resource: "configmap", searchNamespace: [grafanaApp.namespace, kubePrometheusNamespace] },
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
        policyExceptions: [
            { policy: "require-run-as-non-root", reason: "reads the node's container logs under /var/log, which only root can read", workloads: ["fluent-bit"] },
            { policy: "disallow-host-path", reason: "tails the node's container logs through hostPath mounts of /var/log (and keeps its read offsets on the node)", workloads: ["fluent-bit"] },
        ],
        secrets: (ctx) => (ctx.enabledApps.has(openSearch.app) ? [{ name: "opensearch-credentials", vaultPath: "opensearch/admin", keys: { username: "username", password: "password" } }] : []),
        values: (ctx) => {
            const toOpenSearch = ctx.enabledApps.has(openSearch.app);
            return {
                tolerations: [{ operator: "Exists" }],
                env: toOpenSearch
                    ? ["username", "password"].map((key) => ({ name: `OPENSEARCH_${key.toUpperCase()}`, valueFrom: { secretKeyRef: { name: "opensearch-credentials", key } } }))
                    : [],
                config: {
                    // Replaces the chart's default Elasticsearch outputs: Loki, and OpenSearch when it runs.
                    outputs: [
                        "[OUTPUT]",
                        "    Name                   loki",
                        "    Match                  kube.*",
                        "    Host                   loki.loki.svc.cluster.local",
                        "    Port                   3100",
                        "    Labels                 job=fluent-bit",
                        "    Auto_Kubernetes_Labels on",
                        "    Line_Format            json",
                        ...(toOpenSearch
                            ? [
                                  "[OUTPUT]",
                                  "    Name               opensearch",
                                  "    Match              kube.*",
                                  `    Host               ${openSearch.host}`,
                                  "    Port               9200",
                                  "    HTTP_User          ${OPENSEARCH_USERNAME}",
                                  "    HTTP_Passwd        ${OPENSEARCH_PASSWORD}",
                                  // OpenSearch serves its own self-signed certificate inside the cluster.
                                  "    tls                On",
                                  "    tls.verify         Off",
                                  "    Logstash_Format    On",
                                  "    Logstash_Prefix    fawkes",
                                  "    Suppress_Type_Name On",
                              ]
                            : []),
                        "",
                    ].join("\n"),
                },
            };
        },
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
        workloads: [workload({ object: "opentelemetry-operator", container: "manager" }, "Deployment", 1, { resources: "manager.resources", replicas: "replicaCount", placement: "" }, r("50m", "128Mi"), r("500m", "256Mi"))],
        // Its webhook certificate comes from the platform's cert-manager (the chart default). Its
        // webhooks (pod sidecar injection among them) keep out of the core namespaces, as the
        // restrict-webhooks admission rule requires.
        values: () => ({ admissionWebhooks: { certManager: { enabled: true }, namespaceSelector: coreNamespaceExclusion() } }),
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

/** The OpenTelemetry collector: one gateway Deployment that takes OTLP and fans out to Tempo, Loki and Prometheus. */
export function openTelemetryCollector(): GitOpsApp {
    return gitopsApp({
        name: "opentelemetry-collector",
        // open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.170.0 (collector 0.158.0)
        chart: { repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", name: "opentelemetry-collector", version: "0.170.0" },
        namespace: "opentelemetry",
        pool: "apps",
        group: "observability",
        wave: 1,
        dependsOn: ["tempo", "loki", "kube-prometheus-stack"],
        workloads: [workload("opentelemetry-collector", "Deployment", 1, { resources: "resources", replicas: "replicaCount", placement: "" }, r("50m", "128Mi"), r("500m", "512Mi"))],
        values: () => ({
            mode: "deployment",
            // The chart sets no image; the Kubernetes distribution (its tag is the chart's appVersion) has the OTLP exporters.
            image: { repository: "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-k8s" },
            command: { name: "otelcol-k8s" },
            // The chart sets no security context; the image's user is 10001.
            podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            presets: { kubernetesAttributes: { enabled: true } },
            config: {
                exporters: {
                    "otlp/tempo": { endpoint: "tempo.tempo.svc.cluster.local:4317", tls: { insecure: true } },
                    "otlphttp/loki": { endpoint: "http://loki.loki.svc.cluster.local:3100/otlp" },
                    "otlphttp/prometheus": { endpoint: "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/otlp" },
                },
                service: {
                    pipelines: {
                        traces: { exporters: ["otlp/tempo"] },
                        logs: { exporters: ["otlphttp/loki"] },
                        metrics: { exporters: ["otlphttp/prometheus"] },
                    },
                },
            },
        }),
    });
}

// Optional observability apps: off by default.

/** OpenSearch's release, namespace and in-cluster address (the chart's default `opensearch-cluster-master` Service). */
export const openSearch = { app: "opensearch", namespace: "opensearch", host: "opensearch-cluster-master.opensearch.svc.cluster.local" } as const;

/** OpenSearch as an alternative log store: one node; Fluent Bit ships to it as well as to Loki when it runs. */
export function openSearchApp(): GitOpsApp {
    return gitopsApp({
        name: openSearch.app,
        // opensearch-project/helm-charts tag opensearch-3.6.0 (OpenSearch 3.6.0)
        chart: { repo: "https://opensearch-project.github.io/helm-charts", name: "opensearch", version: "3.6.0" },
        namespace: openSearch.namespace,
        pool: "apps",
        group: "observability",
        enabledByDefault: false,
        secrets: [{ name: "opensearch-admin", vaultPath: "opensearch/admin", keys: { password: "password" } }],
        workloads: [
            {
                name: "opensearch-cluster-master",
                kind: "StatefulSet",
                replicas: 1,
                placementPath: "",
                containers: [
                    // The JVM heap is 512 MiB; the rest is off-heap and page cache.
                    container("opensearch", "resources", r("250m", "1Gi"), r("1", "1536Mi")),
                    container("configfile", "initResources", r("10m", "32Mi"), r("100m", "64Mi"), true),
                ],
            },
        ],
        values: () => ({
            // One node: no discovery, no bootstrap checks, so no privileged sysctl init container.
            singleNode: true,
            // The volume's group comes from fsGroup; the root chown init container is not needed.
            persistence: { enabled: true, size: "10Gi", enableInitChown: false },
            extraEnvs: [{ name: "OPENSEARCH_INITIAL_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: "opensearch-admin", key: "password" } } }],
        }),
    });
}

export function openSearchDashboards(): GitOpsApp {
    return gitopsApp({
        name: "opensearch-dashboards",
        // opensearch-project/helm-charts tag opensearch-dashboards-3.6.0
        chart: { repo: "https://opensearch-project.github.io/helm-charts", name: "opensearch-dashboards", version: "3.6.0" },
        namespace: "opensearch-dashboards",
        pool: "apps",
        host: "opensearch",
        login: { vaultPath: "opensearch/admin" },
        group: "observability",
        wave: 1,
        enabledByDefault: false,
        dependsOn: [openSearch.app],
        secrets: [{ name: "opensearch-dashboards-account", vaultPath: "opensearch/admin", keys: { username: "username", password: "password", cookie: "cookie" } }],
        workloads: [workload({ object: "opensearch-dashboards", container: "dashboards" }, "Deployment", 1, { resources: "resources", replicas: "replicaCount", placement: "" }, r("100m", "512Mi"), r("500m", "1Gi"))],
        values: (ctx) => ({
            opensearchHosts: `https://${openSearch.host}:9200`,
            opensearchAccount: { secret: "opensearch-dashboards-account" },
            ingress: { ...ingressFor(ctx, "opensearch"), hosts: [{ host: `opensearch.${ctx.domain}`, paths: [{ path: "/", backend: {} }] }] },
        }),
    });
}

/** Thanos Query over Prometheus' sidecar: a global query view; long-term storage needs a bucket (store gateway, compactor). */
export function thanos(): GitOpsApp {
    return gitopsApp({
        name: "thanos",
        // stevehipwell/helm-charts tag thanos-1.24.1 (Thanos 0.42.4); Bitnami's chart lags and its images moved.
        chart: { repo: "https://stevehipwell.github.io/helm-charts", name: "thanos", version: "1.24.1" },
        namespace: "thanos",
        pool: "apps",
        host: "thanos",
        // The query UI has no login of its own: the ingress asks for this one (see ui-auth.ts).
        login: { vaultPath: "thanos/admin", basicAuth: true },
        group: "observability",
        wave: 1,
        enabledByDefault: false,
        dependsOn: ["kube-prometheus-stack"],
        secrets: [uiAuthSecret("thanos", "thanos/admin")],
        workloads: [workload("thanos-query", "Deployment", 1, { resources: "query.resources", replicas: "query.replicas", placement: "query" }, r("50m", "128Mi"), r("500m", "512Mi"))],
        values: (ctx) => ({
            // No object store yet: the store gateway would have nothing to serve.
            storeGateway: { enabled: false },
            additionalEndpoints: ["dnssrv+_grpc._tcp.kube-prometheus-stack-thanos-discovery.monitoring.svc.cluster.local"],
            query: {
                ingress: {
                    ...ingressFor(ctx, "thanos"),
                    annotations: { ...issuerAnnotations(ctx), ...uiAuthAnnotations(ctx, "thanos", "thanos") },
                    hosts: [`thanos.${ctx.domain}`],
                },
            },
        }),
    });
}

/** Continuous profiling: Pyroscope as one binary; apps push profiles or are scraped by annotation. */
export function pyroscope(): GitOpsApp {
    return gitopsApp({
        name: "pyroscope",
        // grafana/pyroscope tag pyroscope-2.2.1, still published at grafana.github.io (not grafana-community)
        chart: { repo: "https://grafana.github.io/helm-charts", name: "pyroscope", version: "2.2.1" },
        namespace: "pyroscope",
        pool: "apps",
        host: "pyroscope",
        // Pyroscope's UI and query API have no login of their own: the ingress asks for this one
        // (see ui-auth.ts). Apps push profiles to its Service inside the cluster, not through the ingress.
        login: { vaultPath: "pyroscope/admin", basicAuth: true },
        group: "observability",
        enabledByDefault: false,
        secrets: [uiAuthSecret("pyroscope", "pyroscope/admin")],
        workloads: [
            workload("pyroscope", "StatefulSet", 1, { resources: "pyroscope.resources", replicas: "pyroscope.replicaCount", placement: "pyroscope" }, r("100m", "256Mi"), r("1", "1Gi")),
        ],
        values: (ctx) => ({
            // The bundled Alloy scraper brings its own CRD and cluster role; apps can push instead.
            alloy: { enabled: false },
            pyroscope: { persistence: { enabled: true, size: "10Gi" } },
            ingress: {
                enabled: true,
                className: ctx.ingressClassName,
                annotations: { ...issuerAnnotations(ctx), ...uiAuthAnnotations(ctx, "pyroscope", "pyroscope") },
                hosts: [`pyroscope.${ctx.domain}`],
                tls: ingressFor(ctx, "pyroscope").tls,
            },
        }),
    });
}
