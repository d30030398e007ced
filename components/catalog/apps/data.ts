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

/** CloudNativePG 1.30 builds instance pods and Jobs in pkg/specs/pods.go and pkg/specs/jobs.go. */
const cnpgOperator = { operator: "cloudnative-pg", source: "cloudnative-pg v1.30.0 pkg/specs/pods.go, pkg/specs/jobs.go" };

export function cloudNativePg(): GitOpsApp {
    return gitopsApp({
        name: "cloudnative-pg",
        // cloudnative-pg/charts charts/cloudnative-pg 0.29.0 (operator 1.30.0)
        chart: { repo: "https://cloudnative-pg.github.io/charts", name: "cloudnative-pg", version: "0.29.0" },
        namespace: "cnpg-system",
        pool: "platform",
        group: "data",
        serverSideApply: true,
        workloads: [workload({ object: "cloudnative-pg", container: "manager" }, "Deployment", 1, { resources: "resources", replicas: "replicaCount", placement: "" }, r("50m", "128Mi"), r("500m", "256Mi"))],
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
    const requests = r("150m", "512Mi");
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
                // Instance pods `<cluster>-<n>`, which the operator creates itself (no StatefulSet); they are
                // replaced without surging.
                name: platformPostgres.app,
                kind: "Pod",
                createdBy: cnpgOperator,
                replicas: 1,
                placementPath: "cluster.affinity",
                containers: [container("postgres", resources, requests, limits), container("bootstrap-controller", resources, requests, limits, true)],
            },
            {
                // The first instance's bootstrap Job, `<cluster>-1-initdb`.
                name: `${platformPostgres.app}-1-initdb`,
                kind: "Job",
                createdBy: cnpgOperator,
                replicas: 1,
                containers: [container("initdb", resources, requests, limits), container("bootstrap-controller", resources, requests, limits, true)],
            },
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

/** MinIO's release and namespace: the in-cluster S3 endpoint Velero writes backups to. */
const minioService = "http://minio.minio.svc.cluster.local:9000";

/** Velero's AWS-protocol plugin (v1.14.x pairs with Velero 1.18.x), copied into the pod by an init container. */
const awsPlugin = container("velero-plugin-for-aws", undefined, r("10m", "32Mi"), r("100m", "64Mi"), true);

export function velero(): GitOpsApp {
    return gitopsApp({
        name: "velero",
        // vmware-tanzu/helm-charts tag velero-12.1.0 (Velero 1.18.1): backups into MinIO's bucket.
        // For cloud object storage instead, point the backup location at S3 or Blob storage here.
        chart: { repo: "https://vmware-tanzu.github.io/helm-charts", name: "velero", version: "12.1.0" },
        namespace: "velero",
        pool: "apps",
        group: "data",
        wave: 1,
        enabledByDefault: false,
        dependsOn: ["minio"],
        secrets: [
            {
                name: "velero-credentials",
                vaultPath: "minio/root",
                keys: { username: "username", password: "password" },
                // The AWS plugin reads a credentials file.
                templates: { cloud: "[default]\naws_access_key_id={{ .username }}\naws_secret_access_key={{ .password }}\n" },
            },
        ],
        workloads: [
            { name: "velero", kind: "Deployment", replicas: 1, placementPath: "", containers: [container("velero", "resources", r("100m", "128Mi"), r("1", "512Mi")), awsPlugin] },
        ],
        values: () => ({
            initContainers: [
                {
                    name: awsPlugin.name,
                    image: "velero/velero-plugin-for-aws:v1.14.2",
                    imagePullPolicy: "IfNotPresent",
                    volumeMounts: [{ mountPath: "/target", name: "plugins" }],
                    // The chart passes init containers through as written: no values path for their resources.
                    resources: { requests: { ...awsPlugin.requests }, limits: { ...awsPlugin.limits } },
                },
            ],
            configuration: {
                backupStorageLocation: [{ name: "default", provider: "aws", bucket: "velero", default: true, config: { region: "minio", s3ForcePathStyle: "true", s3Url: minioService } }],
                volumeSnapshotLocation: [],
            },
            snapshotsEnabled: false,
            // Argo CD applies the chart's CRDs itself; the upgrade hook pod could not carry the labels the platform requires.
            upgradeCRDs: false,
            // The image's user (cnb) is a name; runAsNonRoot needs its number (unverified against the image).
            podSecurityContext: { runAsNonRoot: true, runAsUser: 1002, runAsGroup: 1000, fsGroup: 1000 },
            credentials: { useSecret: true, existingSecret: "velero-credentials" },
            deployNodeAgent: false,
        }),
    });
}

/**
 * MinIO, standalone, as Velero's bucket on clusters without cloud object storage. The chart
 * and the community server are no longer maintained upstream (source-only releases since
 * 2025): the images are the chart's last ones, frozen, with no security fixes to come.
 */
export function minio(): GitOpsApp {
    return gitopsApp({
        name: "minio",
        // minio/minio helm-releases/minio-5.4.0.tgz (server RELEASE.2024-12-18T13-15-44Z)
        chart: { repo: "https://charts.min.io", name: "minio", version: "5.4.0" },
        namespace: "minio",
        pool: "apps",
        group: "data",
        enabledByDefault: false,
        secrets: [{ name: "minio-root", vaultPath: "minio/root", keys: { rootUser: "username", rootPassword: "password" } }],
        workloads: [
            workload("minio", "Deployment", 1, { resources: "resources", placement: "" }, r("100m", "512Mi"), r("1", "1Gi")),
            // Post-sync hook that creates the buckets.
            workload({ object: "minio-post-job", container: "minio-make-bucket" }, "Job", 1, { resources: "makeBucketJob.resources", placement: "postJob" }, r("10m", "64Mi"), r("100m", "128Mi")),
        ],
        values: () => ({
            mode: "standalone",
            // One pod on a ReadWriteOnce volume: replace it rather than surge a second one.
            deploymentUpdate: { type: "Recreate" },
            podLabels: { "app.kubernetes.io/name": "minio" },
            image: { repository: "quay.io/minio/minio", tag: "RELEASE.2024-12-18T13-15-44Z" },
            mcImage: { repository: "quay.io/minio/mc", tag: "RELEASE.2024-11-21T17-21-54Z" },
            existingSecret: "minio-root",
            // The chart's default console user has a fixed password.
            users: [],
            buckets: [{ name: "velero", policy: "none", purge: false }],
            persistence: { enabled: true, size: "20Gi" },
            securityContext: { enabled: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", runAsNonRoot: true },
            makeBucketJob: {
                securityContext: { enabled: true },
                containerSecurityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
            postJob: { securityContext: { enabled: true, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 } },
        }),
    });
}
