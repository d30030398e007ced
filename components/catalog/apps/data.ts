// Data: the PostgreSQL operator and the databases apps use, and backups.

import { gitopsApp, r, workload } from "../build";
import type { GitOpsApp } from "../types";

export function cloudNativePg(): GitOpsApp {
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

export function velero(): GitOpsApp {
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
