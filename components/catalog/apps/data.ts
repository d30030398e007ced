// Data: the PostgreSQL operator and the databases apps use, and backups.

import { container, gitopsApp, r, workload } from "../build";
import type { GitOpsApp } from "../types";

/** The shared PostgreSQL cluster: its name and the service apps connect to (read-write primary). */
export const platformPostgres = {
    app: "platform-postgres",
    namespace: "postgres",
    host: "platform-postgres-rw.postgres.svc.cluster.local",
    port: 5432,
} as const;

/** Secret, in the database's namespace, holding an owner role's login (CloudNativePG reads it). */
export const ownerLoginSecret = (owner: string) => `${owner}-login`;

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

/**
 * One PostgreSQL cluster for the platform's own apps (Backstage, SonarQube, Harbor): one
 * database and one owner role per app, declared through CloudNativePG's Database and managed
 * role resources. One small instance instead of one per app keeps the pools inside the
 * budget; each app still reaches only its own database with its own login.
 */
export function platformPostgresCluster(): GitOpsApp {
    // cluster.resources sizes the postgres container, the bootstrap-controller init container
    // and the one-off initdb Job alike.
    const resources = "cluster.resources";
    const requests = r("200m", "512Mi");
    const limits = r("1", "1Gi");
    return gitopsApp({
        name: platformPostgres.app,
        // cloudnative-pg/charts tag cluster-v0.8.1
        chart: { repo: "https://cloudnative-pg.github.io/charts", name: "cluster", version: "0.8.1" },
        namespace: platformPostgres.namespace,
        pool: "platform",
        group: "data",
        wave: 1,
        dependsOn: ["cloudnative-pg"],
        hostsDatabases: true,
        workloads: [
            {
                // Pods the operator manages directly; like a StatefulSet, they are replaced without surging.
                name: "instance",
                kind: "StatefulSet",
                replicas: 1,
                placementPath: "cluster.affinity",
                containers: [container("postgres", resources, requests, limits), container("bootstrap-controller", resources, requests, limits, true)],
            },
            workload("initdb", "Job", 1, { resources }, requests, limits),
        ],
        values: (ctx) => ({
            fullnameOverride: platformPostgres.app,
            type: "postgresql",
            mode: "standalone",
            version: { postgresql: "17" },
            cluster: {
                instances: 1,
                // The chart's default image is a floating major tag; pin a patch release by digest.
                imageName: "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-standard-trixie@sha256:91e0de662d53895a45f1396f4ee1a75daeb0c26fc87853afc9c8f43e01fdaa21",
                imagePullPolicy: "IfNotPresent",
                storage: { size: "10Gi" },
                // One instance: a PodDisruptionBudget would block every node drain.
                enablePDB: false,
                // Apps log in with their own roles; nobody needs the superuser over the network.
                enableSuperuserAccess: false,
                roles: ctx.databases.map((db) => ({ name: db.owner, ensure: "present", login: true, passwordSecret: { name: ownerLoginSecret(db.owner) } })),
                // A PodMonitor would tie the databases to kube-prometheus-stack's CRDs; switch it on with both.
                monitoring: { enabled: false },
            },
            databases: ctx.databases.map((db) => ({ name: db.name, owner: db.owner, ensure: "present", databaseReclaimPolicy: "retain" })),
            backups: { enabled: false },
        }),
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
