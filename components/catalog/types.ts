// The catalog's types: what an app entry declares, for the core add-ons Pulumi installs and
// for the apps Argo CD runs from the app-of-apps.

import type { ClusterProvider, DnsConfig, IngressController } from "../config-types";

export interface Resources {
    readonly cpu: string;
    readonly memory: string;
}

export interface Container {
    readonly name: string;
    /**
     * Dotted path of this container's `resources` block in the chart values; absent for a pod
     * the platform renders itself (e.g. a setup Job in the GitOps tree), which takes them directly.
     */
    readonly resourcesPath?: string;
    readonly requests: Resources;
    readonly limits: Resources;
    /** Init containers run before the others, so a pod needs the larger of the two sets. */
    readonly init?: boolean;
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" | "Pod";

export interface Workload {
    /** The name of the object that makes the pods, as the chart renders it (or the operator names it). */
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
    /**
     * Pods an operator creates at run time (from a custom resource or its own config), not the
     * chart: the operator's catalog name, and where its pod shape was read.
     */
    readonly createdBy?: { readonly operator: string; readonly source: string };
    /** The pool its pods run on, where it is not its app's (Jenkins agents run on `apps`). */
    readonly pool?: string;
    /**
     * The namespace its pods run in, where it is not its app's: a node agent the chart can move
     * out (kube-prometheus-stack's node-exporter), so the host access it needs does not lower
     * the Pod Security level of the app's other pods. The tenancy layer creates it with its own
     * labels, quota and limit range; the app's project may deploy there.
     */
    readonly namespace?: string;
    /** Pods that come and go (build agents, ACME solvers): counted in the quota, not in the steady state. */
    readonly transient?: boolean;
}

export interface ChartPin {
    /** Helm repository URL (https). */
    readonly repo: string;
    readonly name: string;
    /** Exact chart version: no ranges. */
    readonly version: string;
}

/** A documented deviation from a baseline admission policy, with the reason, scoped to the workloads that need it. */
export interface PolicyException {
    readonly policy: string;
    readonly reason: string;
    /** Names of the app's workloads (the rendered objects, and the pods they create) it covers. */
    readonly workloads: readonly string[];
}

export interface CatalogApp {
    readonly name: string;
    readonly chart: ChartPin;
    readonly namespace: string;
    /** Node pool the app's pods are placed on. */
    readonly pool: string;
    readonly workloads: readonly Workload[];
    /**
     * Namespaces the chart deploys into besides its own (RBAC and shared configuration, no
     * pods): the tenancy layer creates them too, with a quota that admits no pods.
     */
    readonly extraNamespaces?: readonly string[];
    /** Subdomain of fawkes:domain for the app's UI or API, if it has one. */
    readonly host?: string;
    readonly policyExceptions: readonly PolicyException[];
    /** The app's own login, for the `credentials` output: the platform Vault secret that holds it. */
    readonly login?: AppLogin;
}

/** Where an app's login lives: a platform secret with `password` (and `username`, unless the app fixes it). */
export interface AppLogin {
    readonly vaultPath: string;
    /** The user name, where the app fixes it and the secret holds only the password. */
    readonly username?: string;
    /**
     * The UI has no login of its own: the ingress controller asks for this one (HTTP basic auth,
     * ui-auth.ts), and the secret holds its htpasswd line too.
     */
    readonly basicAuth?: boolean;
}

/** What the catalog's shape depends on. */
export interface CatalogContext {
    readonly provider: ClusterProvider;
    readonly ha: boolean;
    readonly ingressController: IngressController;
    /** The stack syncs from the in-cluster Git server (no fawkes:gitops.repoURL). */
    readonly gitServer?: boolean;
    /** fawkes:dns's provider: external-dns keeps the platform's records in that zone. */
    readonly dns?: DnsConfig["provider"];
}

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
    /** Secret type, where the reader checks it (kubernetes.io/basic-auth, kubernetes.io/tls). */
    readonly type?: string;
    /**
     * More keys, rendered by External Secrets' template engine from the Vault values
     * (`{{ .password }}`): fixed strings, or files built from the values.
     */
    readonly templates?: Readonly<Record<string, string>>;
    /** Labels on the Secret, e.g. so an operator watches it. */
    readonly labels?: Readonly<Record<string, string>>;
}

/** A database an app keeps in the platform's shared PostgreSQL cluster. */
export interface AppDatabase {
    /** Database name. */
    readonly name: string;
    /** Login role that owns the database. */
    readonly owner: string;
    /** Vault path holding the role's `username` and `password`. */
    readonly vaultPath: string;
}

/** What an app's chart-specific values depend on. */
export interface AppValuesContext {
    readonly domain: string;
    /** https URL of a host under the domain, with the port when the stack's https port is not 443. */
    readonly externalUrl: (host: string) => string;
    readonly clusterIssuer: string;
    readonly ingressClassName: string;
    /** A local kind cluster: demo conveniences (such as guest sign-in) are on only there. */
    readonly local: boolean;
    /** The databases of the apps this stack runs, for the app that hosts them. */
    readonly databases: readonly AppDatabase[];
    /** Names of the apps this stack runs, for integrations that follow another app. */
    readonly enabledApps: ReadonlySet<string>;
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
    /** Secrets the app reads; a function where they follow other apps being enabled. */
    readonly secrets: readonly AppSecret[] | ((ctx: AppValuesContext) => readonly AppSecret[]);
    /** The app's database in the shared PostgreSQL cluster; the app reads its login from Secret `<app>-postgres`. */
    readonly database?: AppDatabase;
    /** This app hosts the databases of the other apps: it gets each owner's login as a Secret. */
    readonly hostsDatabases?: boolean;
    /** Chart-specific values; the catalog's resources, replicas and placement are merged over them. */
    readonly values: (ctx: AppValuesContext) => Record<string, unknown>;
    /**
     * ConfigMaps the app's service account reads in another app's namespace (Grafana's sidecars:
     * kube-prometheus-stack's dashboards). The program grants them, read-only and ConfigMaps only;
     * no app project may deploy into another app's namespace.
     */
    readonly configMapReads?: readonly { readonly namespace: string; readonly serviceAccount: string }[];
}
