// Pods that operators create at run time, built the way each operator builds them at its
// pinned version, from the custom resources and configuration the render contains. Helm
// never renders these pods, yet they must pass the same admission policies, quotas and
// budget as the chart's own; each function names the operator source it follows.

import { parse } from "yaml";
import type { K8sObject } from "./helm-template";
import type { ContainerLike, PodSpecLike } from "./pods";

/** A pod, or the controller an operator makes, attributed to the catalog app whose namespace it runs in. */
export interface OperatorObject {
    /** Catalog app that runs the operator. */
    readonly operator: string;
    /** Catalog app whose namespace (and quota) the pods belong to. */
    readonly app: string;
    /** The catalog workload it stands for (its name, or the prefix of generated names). */
    readonly workload: string;
    /** The object as the operator creates it (Pod, StatefulSet or Job), namespace set. */
    readonly object: K8sObject;
    /** How many of it run at once (instances, concurrency limits, caps). */
    readonly count: number;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v !== null && typeof v === "object" ? (v as Obj) : {});
/** A scalar as text ("" for anything else). */
const scalar = (v: unknown, fallback = ""): string => (typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : fallback);

function manifest(kind: string, apiVersion: string, name: string, namespace: string, body: Obj): K8sObject {
    return { apiVersion, kind, metadata: { name, namespace }, ...body };
}

function podTemplate(labels: Record<string, string>, spec: PodSpecLike): Obj {
    return { metadata: { labels }, spec };
}

// --- CloudNativePG 1.30 (pkg/specs/pods.go, pkg/specs/jobs.go, pkg/specs/podspec_diff.go) ----------

/** GetSecurityContext: every CNPG container, whatever the Cluster says, unless it overrides a field. */
const cnpgContainerSecurity = {
    capabilities: { drop: ["ALL"] },
    privileged: false,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    seccompProfile: { type: "RuntimeDefault" },
};

/** GetPodSecurityContext: uid/gid 26 by default; a Cluster's own podSecurityContext replaces it (runAsNonRoot is not filled back). */
function cnpgPodSecurity(spec: Obj): Obj {
    const uid = (spec.postgresUID as number | undefined) ?? 26;
    const gid = (spec.postgresGID as number | undefined) ?? 26;
    const own = spec.podSecurityContext as Obj | undefined;
    if (own !== undefined) {
        return { runAsUser: uid, runAsGroup: gid, seccompProfile: { type: "RuntimeDefault" }, ...own };
    }
    return { seccompProfile: { type: "RuntimeDefault" }, runAsUser: uid, runAsGroup: gid, runAsNonRoot: true, fsGroup: gid };
}

function cnpgPods(cluster: K8sObject, operatorImage: string, app: string): OperatorObject[] {
    const spec = asObj(cluster.spec);
    const name = cluster.metadata.name;
    const namespace = cluster.metadata.namespace ?? "";
    const image = scalar(spec.imageName, "ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie");
    const resources = asObj(spec.resources);
    const affinity = asObj(spec.affinity);
    const inherited = asObj(asObj(spec.inheritedMetadata).labels) as Record<string, string>;
    const labels = (extra: Record<string, string>) => ({
        ...inherited,
        "cnpg.io/cluster": name,
        "app.kubernetes.io/name": "postgresql",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "database",
        "app.kubernetes.io/managed-by": "cloudnative-pg",
        ...extra,
    });
    const container = (containerName: string, containerImage: string): ContainerLike => ({
        name: containerName,
        image: containerImage,
        resources,
        securityContext: { ...cnpgContainerSecurity, ...asObj(spec.securityContext) },
    });
    const podSpec = (main: ContainerLike, restartPolicy?: string): PodSpecLike => ({
        ...(restartPolicy ? { restartPolicy } : {}),
        securityContext: cnpgPodSecurity(spec),
        initContainers: [container("bootstrap-controller", operatorImage)],
        containers: [main],
        ...(affinity.nodeSelector ? { nodeSelector: affinity.nodeSelector as Record<string, string> } : {}),
        ...(Array.isArray(affinity.tolerations) && affinity.tolerations.length > 0 ? { tolerations: affinity.tolerations } : {}),
    });
    const instances = Number(spec.instances ?? 1);
    const instance = manifest("Pod", "v1", `${name}-1`, namespace, {
        metadata: { name: `${name}-1`, namespace, labels: labels({ "cnpg.io/instanceName": `${name}-1`, "cnpg.io/podRole": "instance" }) },
        spec: podSpec(container("postgres", image)),
    });
    const initdb = manifest("Job", "batch/v1", `${name}-1-initdb`, namespace, {
        spec: { template: podTemplate(labels({ "cnpg.io/jobRole": "initdb", "cnpg.io/instanceName": `${name}-1` }), podSpec(container("initdb", image), "Never")) },
    });
    // Every instance beyond the first joins through its own Job, `<cluster>-<n>-join`.
    const joins = Array.from({ length: Math.max(0, instances - 1) }, (_, i) => {
        const instanceName = `${name}-${i + 2}`;
        const join = manifest("Job", "batch/v1", `${instanceName}-join`, namespace, {
            spec: { template: podTemplate(labels({ "cnpg.io/jobRole": "join", "cnpg.io/instanceName": instanceName }), podSpec(container("join", image), "Never")) },
        });
        return { operator: "cloudnative-pg", app, workload: `${instanceName}-join`, object: join, count: 1 };
    });
    return [
        { operator: "cloudnative-pg", app, workload: name, object: instance, count: instances },
        { operator: "cloudnative-pg", app, workload: `${name}-1-initdb`, object: initdb, count: 1 },
        ...joins,
    ];
}

// --- prometheus-operator v0.93 (pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go) -

/** The operator's own flags, as the chart renders them on its Deployment. */
function operatorFlags(deployment: K8sObject | undefined): Map<string, string> {
    const flags = new Map<string, string>();
    const containers = (asObj(asObj(asObj(deployment?.spec).template).spec).containers ?? []) as ContainerLike[];
    for (const c of containers) {
        for (const arg of (c.args ?? []) as string[]) {
            const m = /^--([^=]+)=(.*)$/.exec(arg);
            if (m) {
                flags.set(m[1], m[2]);
            }
        }
    }
    return flags;
}

/** The config reloader's resources from the operator's flags; "0" leaves a field unset (operator.ResourceRequirements). */
function reloaderResources(flags: Map<string, string>): Obj {
    const field = (flag: string) => {
        const v = flags.get(flag) ?? (flag.includes("cpu") ? "10m" : "50Mi");
        return v === "0" ? undefined : v;
    };
    const pick = (cpu: string, memory: string) => Object.fromEntries(Object.entries({ cpu: field(cpu), memory: field(memory) }).filter(([, v]) => v !== undefined));
    return {
        requests: pick("config-reloader-cpu-request", "config-reloader-memory-request"),
        limits: pick("config-reloader-cpu-limit", "config-reloader-memory-limit"),
    };
}

const promContainerSecurity = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

function prometheusLike(kind: "Prometheus" | "Alertmanager", cr: K8sObject, flags: Map<string, string>, app: string, operator: string): OperatorObject {
    const spec = asObj(cr.spec);
    const name = cr.metadata.name;
    const namespace = cr.metadata.namespace ?? "";
    const short = kind === "Prometheus" ? "prometheus" : "alertmanager";
    const reloader = (init: boolean): ContainerLike => ({
        name: init ? "init-config-reloader" : "config-reloader",
        image: flags.get("prometheus-config-reloader") ?? "",
        resources: reloaderResources(flags),
        securityContext: promContainerSecurity,
    });
    // The operator defaults only Alertmanager's memory request (200Mi) when the CR sets none.
    const ownResources = asObj(spec.resources);
    const resources = kind === "Alertmanager" && asObj(ownResources.requests).memory === undefined ? { ...ownResources, requests: { ...asObj(ownResources.requests), memory: "200Mi" } } : ownResources;
    const containers: ContainerLike[] = [{ name: short, image: scalar(spec.image), resources, securityContext: promContainerSecurity }, reloader(false)];
    const thanos = spec.thanos as Obj | undefined;
    if (kind === "Prometheus" && thanos !== undefined) {
        containers.push({
            name: "thanos-sidecar",
            image: scalar(thanos.image, flags.get("thanos-default-base-image") ?? ""),
            resources: asObj(thanos.resources),
            securityContext: promContainerSecurity,
        });
    }
    const labels = {
        ...(asObj(asObj(spec.podMetadata).labels) as Record<string, string>),
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "app.kubernetes.io/name": short,
        "app.kubernetes.io/instance": name,
        [short]: name,
    };
    const podSpec: PodSpecLike = {
        ...(spec.securityContext ? { securityContext: spec.securityContext as Obj } : {}),
        initContainers: [reloader(true)],
        containers,
        ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector as Record<string, string> } : {}),
        ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
        ...(spec.hostNetwork === true ? { hostNetwork: true } : {}),
    };
    const replicas = Number(spec.replicas ?? 1);
    const statefulSet = manifest("StatefulSet", "apps/v1", `${short}-${name}`, namespace, {
        spec: { replicas: Number(spec.replicas ?? 1), serviceName: `${short}-operated`, selector: { matchLabels: labels }, template: podTemplate(labels, podSpec) },
    });
    // Each Prometheus shard is a StatefulSet of its own (`prometheus-<name>-shard-<n>` beyond the first), all alike.
    const shards = kind === "Prometheus" ? Number(spec.shards ?? 1) : 1;
    return { operator, app, workload: `${short}-${name}`, object: statefulSet, count: replicas === 0 ? 0 : shards };
}

// --- trivy-operator 0.32 (pkg/plugins/trivy/image.go GetPodSpecForImageScan, pkg/vulnerabilityreport/builder.go) ---

/** Trivy's scan Job for a workload of `scanned` containers: one DB-download init container, one scan container per scanned one. */
function trivyScanJob(configs: K8sObject[], scanned: number, app: string, namespace: string): OperatorObject {
    const data = (name: string) => asObj(configs.find((c) => c.metadata.name === name)?.data) as Record<string, string>;
    const trivy = data("trivy-operator-trivy-config");
    const operatorConfig = data("trivy-operator");
    const env = data("trivy-operator-config");
    const image = `${trivy["trivy.repository"]}:${trivy["trivy.tag"]}`;
    const resources = {
        requests: { cpu: trivy["trivy.resources.requests.cpu"], memory: trivy["trivy.resources.requests.memory"] },
        limits: { cpu: trivy["trivy.resources.limits.cpu"], memory: trivy["trivy.resources.limits.memory"] },
    };
    const json = (key: string) => (operatorConfig[key] ? (JSON.parse(operatorConfig[key]) as Obj) : undefined);
    const containerSecurity = json("scanJob.podTemplateContainerSecurityContext");
    const podSecurity = json("scanJob.podTemplatePodSecurityContext") ?? {};
    // scanJob.podTemplateLabels is a comma-separated `k=v` list.
    const extraLabels = Object.fromEntries(
        (operatorConfig["scanJob.podTemplateLabels"] ?? "")
            .split(",")
            .filter((kv) => kv.includes("="))
            .map((kv) => kv.split("=", 2) as [string, string]),
    );
    const container = (name: string): ContainerLike => ({ name, image, resources, ...(containerSecurity ? { securityContext: containerSecurity } : {}) });
    const nodeSelector = operatorConfig["scanJob.nodeSelector"] ? (JSON.parse(operatorConfig["scanJob.nodeSelector"]) as Record<string, string>) : undefined;
    const spec: PodSpecLike = {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        securityContext: podSecurity,
        // The DB download container is really named with a random UUID; the scan containers take the scanned containers' names.
        initContainers: [container("db-download")],
        containers: Array.from({ length: scanned }, (_, i) => container(`scanned-${i + 1}`)),
        ...(nodeSelector ? { nodeSelector } : {}),
    };
    const labels = { ...extraLabels, "app.kubernetes.io/managed-by": "trivy-operator", "vulnerabilityReport.scanner": "Trivy" };
    const job = manifest("Job", "batch/v1", "scan-vulnerabilityreport", namespace, { spec: { backoffLimit: 0, completions: 1, template: podTemplate(labels, spec) } });
    return { operator: "trivy-operator", app, workload: "scan-vulnerabilityreport", object: job, count: Number(env.OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT ?? 10) };
}

/** Trivy's node-collector Jobs (infra assessment), when switched on: hostPID and root by design (trivy-kubernetes pkg/jobs/template/node-collector.yaml). */
function trivyNodeCollector(configs: K8sObject[], app: string, namespace: string): OperatorObject | undefined {
    const env = asObj(configs.find((c) => c.metadata.name === "trivy-operator-config")?.data) as Record<string, string>;
    if (env.OPERATOR_CONFIG_AUDIT_SCANNER_ENABLED !== "true" || env.OPERATOR_INFRA_ASSESSMENT_SCANNER_ENABLED !== "true") {
        return undefined;
    }
    const operatorConfig = asObj(configs.find((c) => c.metadata.name === "trivy-operator")?.data) as Record<string, string>;
    const spec: PodSpecLike = {
        hostPID: true,
        restartPolicy: "Never",
        securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "node-collector", image: operatorConfig["node.collector.imageRef"] ?? "" }],
    };
    const job = manifest("Job", "batch/v1", "node-collector", namespace, { spec: { template: podTemplate({ app: "node-collector" }, spec) } });
    return { operator: "trivy-operator", app, workload: "node-collector", object: job, count: Number(env.OPERATOR_CONCURRENT_NODE_COLLECTOR_LIMIT ?? 1) };
}

// --- Jenkins Kubernetes plugin (PodTemplateBuilder, RestrictedPssSecurityContextInjector) ----------

interface CascContainer {
    name: string;
    image: string;
    resourceRequestCpu?: string | number;
    resourceRequestMemory?: string;
    resourceLimitCpu?: string | number;
    resourceLimitMemory?: string;
    runAsUser?: number;
    runAsGroup?: number;
    privileged?: string | boolean;
}

/** Agent pods of every pod template in the chart's JCasC Kubernetes cloud, at the cloud's container cap. */
function jenkinsAgents(configs: K8sObject[], app: string, namespace: string): OperatorObject[] {
    const out: OperatorObject[] = [];
    for (const cm of configs) {
        for (const text of Object.values(asObj(cm.data))) {
            if (typeof text !== "string" || !text.includes("clouds:")) {
                continue;
            }
            const casc = asObj(parse(text));
            for (const cloud of (asObj(casc.jenkins).clouds ?? []) as Obj[]) {
                const k8s = asObj(cloud.kubernetes);
                const restricted = k8s.restrictedPssSecurityContext === true;
                const labels = Object.fromEntries(((k8s.podLabels ?? []) as { key: string; value: string }[]).map((l) => [l.key, l.value]));
                for (const template of (k8s.templates ?? []) as Obj[]) {
                    const containers = ((template.containers ?? []) as CascContainer[]).map(
                        (c): ContainerLike => ({
                            name: c.name,
                            image: c.image,
                            resources: {
                                requests: { ...(c.resourceRequestCpu !== undefined ? { cpu: String(c.resourceRequestCpu) } : {}), ...(c.resourceRequestMemory ? { memory: c.resourceRequestMemory } : {}) },
                                limits: { ...(c.resourceLimitCpu !== undefined ? { cpu: String(c.resourceLimitCpu) } : {}), ...(c.resourceLimitMemory ? { memory: c.resourceLimitMemory } : {}) },
                            },
                            securityContext: {
                                // The restricted-PSS injector fills these on every container where they are unset.
                                ...(restricted ? { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } } : {}),
                                ...(c.runAsUser !== undefined ? { runAsUser: c.runAsUser } : {}),
                                ...(c.runAsGroup !== undefined ? { runAsGroup: c.runAsGroup } : {}),
                                ...(String(c.privileged) === "true" ? { privileged: true } : {}),
                            },
                        }),
                    );
                    // nodeSelector is written `key=value,key2=value2`.
                    const nodeSelector = Object.fromEntries(
                        scalar(template.nodeSelector)
                            .split(",")
                            .filter((kv) => kv.includes("="))
                            .map((kv) => kv.split("=", 2) as [string, string]),
                    );
                    const name = scalar(template.name);
                    const pod = manifest("Pod", "v1", name, namespace, {
                        metadata: { name, namespace, labels: { ...labels, "jenkins/label": scalar(template.label).trim().replace(/\s+/g, "_") } },
                        spec: { restartPolicy: "Never", containers, ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}) },
                    });
                    out.push({ operator: app, app, workload: name, object: pod, count: Number(k8s.containerCapStr ?? 10) });
                }
            }
        }
    }
    return out;
}

// --- cert-manager v1.21 (pkg/issuer/acme/http/pod.go buildDefaultPod, mergePodObjectMetaWithPodTemplate) ---

interface SolverFlags {
    readonly image: string;
    readonly requests: Obj;
    readonly limits: Obj;
    readonly runAsNonRoot: boolean;
}

function solverFlags(controller: K8sObject | undefined): SolverFlags {
    const flags = operatorFlags(controller);
    const flag = (name: string, fallback: string) => flags.get(`acme-http01-solver-${name}`) ?? fallback;
    return {
        image: flag("image", ""),
        // internal/apis/config/controller/v1alpha1/defaults.go
        requests: { cpu: flag("resource-request-cpu", "10m"), memory: flag("resource-request-memory", "64Mi") },
        limits: { cpu: flag("resource-limits-cpu", "100m"), memory: flag("resource-limits-memory", "64Mi") },
        runAsNonRoot: flag("run-as-non-root", "true") === "true",
    };
}

/** The HTTP-01 solver pod for one challenge of `issuer` in `namespace`. */
function acmeSolverPod(issuer: K8sObject, flags: SolverFlags, app: string, namespace: string): OperatorObject | undefined {
    const solvers = (asObj(asObj(issuer.spec).acme).solvers ?? []) as Obj[];
    const http01 = solvers.map((s) => asObj(asObj(s.http01).ingress)).find((i) => Object.keys(i).length > 0);
    if (http01 === undefined) {
        return undefined;
    }
    const template = asObj(http01.podTemplate);
    const tSpec = asObj(template.spec);
    const tResources = asObj(tSpec.resources);
    // A podTemplate securityContext replaces the default one as a whole.
    const securityContext = tSpec.securityContext ? (tSpec.securityContext as Obj) : { runAsNonRoot: flags.runAsNonRoot, seccompProfile: { type: "RuntimeDefault" } };
    const pod = manifest("Pod", "v1", "", namespace, {
        metadata: {
            generateName: "cm-acme-http-solver-",
            namespace,
            labels: { "acme.cert-manager.io/http-domain": "0", "acme.cert-manager.io/http-token": "0", "acme.cert-manager.io/http01-solver": "true", ...(asObj(asObj(template.metadata).labels) as Record<string, string>) },
        },
        spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            nodeSelector: { "kubernetes.io/os": "linux", ...(asObj(tSpec.nodeSelector) as Record<string, string>) },
            ...(tSpec.tolerations ? { tolerations: tSpec.tolerations } : {}),
            securityContext,
            containers: [
                {
                    name: "acmesolver",
                    image: flags.image,
                    resources: { requests: { ...flags.requests, ...asObj(tResources.requests) }, limits: { ...flags.limits, ...asObj(tResources.limits) } },
                    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
            ],
        },
    });
    return { operator: "cert-manager", app, workload: "cm-acme-http-solver", object: pod, count: 1 };
}

/**
 * Custom resources from which an operator of the platform starts pods that no model above
 * builds. The platform renders none today; one appearing in a render fails the catalog check
 * until its pods are modelled here and declared in the catalog.
 */
export const unmodelledPodSources: Readonly<Record<string, string>> = {
    "opentelemetry.io/OpenTelemetryCollector": "the OpenTelemetry operator",
    "opentelemetry.io/TargetAllocator": "the OpenTelemetry operator",
    "opentelemetry.io/OpAMPBridge": "the OpenTelemetry operator",
    "monitoring.coreos.com/ThanosRuler": "the Prometheus operator",
    "monitoring.coreos.com/PrometheusAgent": "the Prometheus operator",
    "postgresql.cnpg.io/Pooler": "CloudNativePG",
    "argoproj.io/Rollout": "Argo Rollouts",
};

/** Rendered custom resources that would make pods the models do not build. */
export function unmodelledPodMakers(objects: readonly { readonly app: string; readonly object: K8sObject }[]): string[] {
    return objects.flatMap(({ app, object }) => {
        const by = unmodelledPodSources[`${object.apiVersion.split("/")[0]}/${object.kind}`];
        return by === undefined ? [] : [`${app}: ${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name} makes pods through ${by}, which scripts/render/operator-pods.ts does not model`];
    });
}

/** Where each object a stack renders came from, as the operator models need it. */
export interface OperatorInputs {
    /** Rendered objects of each catalog app, by app name. */
    readonly objectsOf: (app: string) => readonly K8sObject[];
    /** Catalog app names with their namespaces, for the apps the stack runs. */
    readonly apps: readonly { readonly name: string; readonly namespace: string }[];
    /** Objects the program applies itself (ClusterIssuers). */
    readonly programObjects: readonly K8sObject[];
    /** The most containers (init containers included) any pod of the stack runs: the widest pod Trivy scans. */
    readonly widestPod: number;
}

/** Every pod (or controller) the stack's operators create, for the apps the stack runs. */
export function operatorObjects(inputs: OperatorInputs): OperatorObject[] {
    const has = (name: string) => inputs.apps.some((a) => a.name === name);
    const namespaceOf = (name: string) => inputs.apps.find((a) => a.name === name)?.namespace ?? "";
    const out: OperatorObject[] = [];
    if (has("cloudnative-pg")) {
        const operatorImage = String(
            (asObj(asObj(asObj(inputs.objectsOf("cloudnative-pg").find((o) => o.kind === "Deployment")?.spec).template).spec).containers as ContainerLike[] | undefined)?.[0]?.image ?? "",
        );
        for (const app of inputs.apps) {
            for (const cluster of inputs.objectsOf(app.name).filter((o) => o.kind === "Cluster" && o.apiVersion.startsWith("postgresql.cnpg.io/"))) {
                out.push(...cnpgPods({ ...cluster, metadata: { ...cluster.metadata, namespace: cluster.metadata.namespace ?? app.namespace } }, operatorImage, app.name));
            }
        }
    }
    if (has("kube-prometheus-stack")) {
        const objects = inputs.objectsOf("kube-prometheus-stack");
        const flags = operatorFlags(objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-operator")));
        for (const cr of objects.filter((o) => (o.kind === "Prometheus" || o.kind === "Alertmanager") && o.apiVersion.startsWith("monitoring.coreos.com/"))) {
            out.push(prometheusLike(cr.kind as "Prometheus" | "Alertmanager", cr, flags, "kube-prometheus-stack", "kube-prometheus-stack"));
        }
    }
    if (has("trivy-operator")) {
        const configs = inputs.objectsOf("trivy-operator").filter((o) => o.kind === "ConfigMap");
        out.push(trivyScanJob(configs, inputs.widestPod, "trivy-operator", namespaceOf("trivy-operator")));
        const collector = trivyNodeCollector(configs, "trivy-operator", namespaceOf("trivy-operator"));
        if (collector) {
            out.push(collector);
        }
    }
    if (has("jenkins")) {
        out.push(...jenkinsAgents(inputs.objectsOf("jenkins").filter((o) => o.kind === "ConfigMap"), "jenkins", namespaceOf("jenkins")));
    }
    const flags = solverFlags(inputs.objectsOf("cert-manager").find((o) => o.kind === "Deployment" && o.metadata.name === "cert-manager"));
    for (const issuer of inputs.programObjects.filter((o) => o.kind === "ClusterIssuer")) {
        // One solver pod per namespace whose Ingresses ask this issuer for a certificate.
        for (const app of inputs.apps) {
            const ingresses = inputs.objectsOf(app.name).filter((o) => o.kind === "Ingress" && o.metadata.annotations?.["cert-manager.io/cluster-issuer"] === issuer.metadata.name);
            // cert-manager's ingress-shim asks for one certificate per TLS secret, and solves one challenge per host at once.
            const hosts = new Set(ingresses.flatMap((o) => ((o.spec as { tls?: { hosts?: string[] }[] }).tls ?? []).flatMap((t) => t.hosts ?? [])));
            const solver = hosts.size > 0 ? acmeSolverPod(issuer, flags, app.name, app.namespace) : undefined;
            if (solver) {
                out.push({ ...solver, count: hosts.size });
            }
        }
    }
    return out;
}
