// Security: vulnerability scanning, secrets, runtime detection and single sign-on.

import { poolLabel } from "../../../policy/lib/labels";
import { container, gitopsApp, ingressFor, r, workload } from "../build";
import type { GitOpsApp } from "../types";
import { platformPostgres } from "./data";

export function trivyOperator(): GitOpsApp {
    // Vulnerability scans run as Jobs in the operator's namespace; two at a time keeps them
    // inside the quota (the chart would allow ten).
    const concurrentScans = 2;
    // The most containers (init containers included) a pod of the platform runs, operator-made pods
    // included, so the largest scan Job fits; the render check fails when a chart grows a wider pod.
    // kube-system is not scanned (below): its pods are the cluster provider's, and wider (EKS's EBS
    // CSI controller runs six containers).
    const widestScannedPod = 4;
    const scanRequests = r("100m", "100Mi");
    const scanLimits = r("500m", "500Mi");
    return gitopsApp({
        name: "trivy-operator",
        // aquasecurity/trivy-operator deploy/helm 0.34.0 (operator 0.32.0)
        chart: { repo: "https://aquasecurity.github.io/helm-charts/", name: "trivy-operator", version: "0.34.0" },
        namespace: "trivy-system",
        pool: "apps",
        group: "security",
        serverSideApply: true,
        workloads: [
            workload("trivy-operator", "Deployment", 1, { resources: "resources", replicas: "operator.replicas", placement: "" }, r("100m", "128Mi"), r("500m", "512Mi")),
            {
                // Vulnerability scan Jobs `scan-vulnerabilityreport-<hash>`, created by the operator (not by Helm)
                // up to its concurrency limit; they count against the quota. Each runs one Trivy container per
                // container of the workload it scans (init containers included), after one that downloads the
                // vulnerability database (its real name is a random UUID), all sized by trivy.resources.
                name: "scan-vulnerabilityreport",
                kind: "Job",
                replicas: concurrentScans,
                createdBy: { operator: "trivy-operator", source: "aquasecurity/trivy-operator v0.32.0 pkg/plugins/trivy/image.go (GetPodSpecForImageScan), pkg/vulnerabilityreport/builder.go" },
                containers: [
                    container("db-download", "trivy.resources", scanRequests, scanLimits, true),
                    ...Array.from({ length: widestScannedPod }, (_, i) => container(`scanned-${i + 1}`, "trivy.resources", scanRequests, scanLimits)),
                ],
            },
        ],
        values: () => ({
            excludeNamespaces: "kube-system",
            operator: {
                scanJobsConcurrentLimit: concurrentScans,
                // Node-collector Jobs run with the host PID namespace as root, and their pods cannot be labelled.
                infraAssessmentScannerEnabled: false,
            },
            // The operator image runs as uid 10000; the chart sets no pod security context.
            podSecurityContext: { runAsNonRoot: true, runAsUser: 10000, runAsGroup: 10000, fsGroup: 10000 },
            trivyOperator: {
                scanJobPodTemplateLabels: "app.kubernetes.io/name=trivy-scan-job",
                // The Trivy image has no USER: run its scans as a numeric non-root user.
                scanJobPodTemplatePodSecurityContext: { runAsNonRoot: true, runAsUser: 10000, runAsGroup: 10000, fsGroup: 10000, seccompProfile: { type: "RuntimeDefault" } },
                scanJobNodeSelector: { [poolLabel]: "apps" },
            },
        }),
    });
}

export function sealedSecrets(): GitOpsApp {
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
        workloads: [workload({ object: "sealed-secrets", container: "controller" }, "Deployment", 1, { resources: "resources", placement: "" }, r("10m", "32Mi"), r("100m", "128Mi"))],
        values: () => ({ fullnameOverride: "sealed-secrets" }),
    });
}

export function falco(): GitOpsApp {
    return gitopsApp({
        name: "falco",
        // falcosecurity/charts tag falco-9.1.0 (Falco 0.44.1)
        chart: { repo: "https://falcosecurity.github.io/charts", name: "falco", version: "9.1.0" },
        namespace: "falco",
        pool: "apps",
        group: "security",
        enabledByDefault: false,
        // Runtime detection watches every node's kernel events (chart default requests).
        workloads: [
            {
                name: "falco",
                kind: "DaemonSet",
                replicas: 1,
                everyNode: true,
                containers: [
                    container("falco", "resources", r("100m", "512Mi"), r("1", "1Gi")),
                    // Follows rule updates; installs rules and plugins before Falco starts; loads the kernel driver.
                    container("falcoctl-artifact-follow", "falcoctl.artifact.follow.resources", r("10m", "32Mi"), r("100m", "128Mi")),
                    container("falcoctl-artifact-install", "falcoctl.artifact.install.resources", r("10m", "32Mi"), r("100m", "128Mi"), true),
                    container("falco-driver-loader", "driver.loader.initContainer.resources", r("50m", "128Mi"), r("500m", "512Mi"), true),
                ],
            },
        ],
        policyExceptions: [
            { policy: "disallow-privileged-containers", reason: "loads its kernel driver / eBPF probe, which needs a privileged container", workloads: ["falco"] },
            { policy: "disallow-host-namespaces", reason: "observes processes of the whole node through the host PID namespace", workloads: ["falco"] },
            { policy: "require-run-as-non-root", reason: "kernel instrumentation runs as root", workloads: ["falco"] },
            { policy: "disallow-host-path", reason: "reads the node's /proc, /dev, /boot, kernel modules and container runtime socket through hostPath mounts", workloads: ["falco"] },
        ],
        values: () => ({ tolerations: [{ operator: "Exists" }] }),
    });
}

/** Keycloak: single sign-on for the platform's UIs, its data in the shared PostgreSQL cluster. */
export function keycloak(): GitOpsApp {
    return gitopsApp({
        name: "keycloak",
        // codecentric/helm-charts tag keycloakx-7.1.11 (Keycloak 26.5.6)
        chart: { repo: "https://codecentric.github.io/helm-charts", name: "keycloakx", version: "7.1.11" },
        namespace: "keycloak",
        pool: "apps",
        host: "keycloak",
        login: { vaultPath: "keycloak/admin" },
        group: "security",
        wave: 2,
        enabledByDefault: false,
        dependsOn: [platformPostgres.app],
        database: { name: "keycloak", owner: "keycloak", vaultPath: "keycloak/postgres" },
        secrets: [{ name: "keycloak-admin", vaultPath: "keycloak/admin", keys: { username: "username", password: "password" } }],
        workloads: [
            {
                name: "keycloak-keycloakx",
                kind: "StatefulSet",
                replicas: 1,
                replicasPath: "replicas",
                placementPath: "",
                containers: [
                    container("keycloak", "resources", r("250m", "768Mi"), r("1", "1536Mi")),
                    // Waits until the database answers before Keycloak starts.
                    container("dbchecker", "dbchecker.resources", r("20m", "32Mi"), r("20m", "32Mi"), true),
                ],
            },
        ],
        values: (ctx) => ({
            // The chart starts nothing by itself: this is the server, behind a TLS-terminating proxy.
            command: ["/opt/keycloak/bin/kc.sh", "start", "--http-port=8080", "--hostname-strict=false"],
            http: { relativePath: "/" },
            // Traefik and ingress-nginx send X-Forwarded-* headers.
            proxy: { enabled: true, mode: "xforwarded" },
            database: {
                vendor: "postgres",
                hostname: platformPostgres.host,
                port: platformPostgres.port,
                database: "keycloak",
                username: "keycloak",
                existingSecret: "keycloak-postgres",
                existingSecretKey: "password",
            },
            // The chart's busybox:1.37 floats over patch releases.
            dbchecker: { enabled: true, image: { repository: "docker.io/busybox", tag: "1.37.0" } },
            // The chart takes extra env as a YAML string.
            extraEnv: [
                "- name: KC_BOOTSTRAP_ADMIN_USERNAME",
                "  valueFrom: { secretKeyRef: { name: keycloak-admin, key: username } }",
                "- name: KC_BOOTSTRAP_ADMIN_PASSWORD",
                "  valueFrom: { secretKeyRef: { name: keycloak-admin, key: password } }",
                "",
            ].join("\n"),
            ingress: { ...ingressFor(ctx, "keycloak"), rules: [{ host: `keycloak.${ctx.domain}`, paths: [{ path: "/", pathType: "Prefix" }] }] },
        }),
    });
}
