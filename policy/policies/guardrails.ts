// Resource guardrails: each checks one kind of resource as the program declares it and says
// how to fix what it finds.

import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { imageDefaults, imageSchema, loadBalancerDefaults, loadBalancerSchema, settings } from "./settings";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});
const text = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);

const exactVersion = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmReleasePinned: ResourceValidationPolicy = {
    name: "helm-release-pinned",
    description: "Helm releases use an exact chart version from an https repository, are atomic and have a timeout.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== "kubernetes:helm.sh/v3:Release") {
            return;
        }
        const p = args.props;
        const chart = String(p.chart ?? args.name);
        if (typeof p.version !== "string" || !exactVersion.test(p.version)) {
            reportViolation(`release ${chart}: chart version ${JSON.stringify(p.version)} is not an exact version; pin one such as 1.2.3 in components/catalog/.`);
        }
        const repo = text(obj(p.repositoryOpts).repo, "");
        if (!repo.startsWith("https://")) {
            reportViolation(`release ${chart}: repository ${JSON.stringify(repo)} is not an https URL; use the chart's https Helm repository.`);
        }
        if (p.atomic !== true) {
            reportViolation(`release ${chart}: set atomic: true so a failed install or upgrade rolls back.`);
        }
        if (!(Number(p.timeout) > 0)) {
            reportViolation(`release ${chart}: set a timeout (seconds) so a stuck install fails instead of hanging.`);
        }
    },
};

/** Paths in a values tree where a Service type LoadBalancer is requested. */
function loadBalancerPaths(values: unknown, at = ""): string[] {
    if (Array.isArray(values)) {
        return values.flatMap((v, i) => loadBalancerPaths(v, `${at}[${i}]`));
    }
    if (typeof values === "object" && values !== null) {
        return Object.entries(values).flatMap(([k, v]) => (k === "type" && v === "LoadBalancer" ? [at === "" ? k : `${at}.${k}`] : loadBalancerPaths(v, at === "" ? k : `${at}.${k}`)));
    }
    return [];
}

export const loadBalancerOnlyForIngress: ResourceValidationPolicy = {
    name: "load-balancer-only-for-ingress",
    description: "Only the ingress controller gets a Service of type LoadBalancer; everything else is reached through Ingress.",
    enforcementLevel: "mandatory",
    configSchema: loadBalancerSchema,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        const { ingressNamespaces } = settings(args.getConfig<typeof loadBalancerDefaults>(), loadBalancerDefaults);
        if (args.type === "kubernetes:core/v1:Service") {
            const namespace = text(obj(args.props.metadata).namespace, "default");
            if (obj(args.props.spec).type === "LoadBalancer" && !ingressNamespaces.includes(namespace)) {
                reportViolation(`Service in namespace ${namespace} is of type LoadBalancer; use ClusterIP behind an Ingress (only ${ingressNamespaces.join(", ")} may expose a LoadBalancer).`);
            }
        } else if (args.type === "kubernetes:helm.sh/v3:Release") {
            const release = String(args.props.name ?? args.name);
            if (ingressNamespaces.includes(release)) {
                return;
            }
            for (const path of loadBalancerPaths(args.props.values)) {
                reportViolation(`release ${release} asks for a LoadBalancer Service at values.${path}; expose it through an Ingress instead.`);
            }
        }
    },
};

const workloadTypes = new Set([
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
]);

/** The pod spec inside a workload object. */
function podSpec(type: string, props: Obj): Obj {
    if (type === "kubernetes:core/v1:Pod") {
        return obj(props.spec);
    }
    if (type === "kubernetes:batch/v1:CronJob") {
        return obj(obj(obj(obj(obj(props.spec).jobTemplate).spec).template).spec);
    }
    return obj(obj(obj(props.spec).template).spec);
}

function containersOf(spec: Obj): Obj[] {
    return [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])];
}

export const imagesPinned: ResourceValidationPolicy = {
    name: "images-pinned",
    description: "Workloads the program creates run images pinned by digest, never :latest, from allowed registries.",
    enforcementLevel: "mandatory",
    configSchema: imageSchema,
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!workloadTypes.has(args.type)) {
            return;
        }
        const { allowedRegistries } = settings(args.getConfig<typeof imageDefaults>(), imageDefaults);
        for (const c of containersOf(podSpec(args.type, args.props))) {
            const image = text(c.image, "");
            if (/:latest(@|$)/.test(image) || !image.includes("@sha256:")) {
                reportViolation(`container ${String(c.name)}: image ${image} is not pinned; use a version tag with its digest (image:1.2.3@sha256:...).`);
            }
            if (allowedRegistries.length > 0 && !allowedRegistries.some((r) => image.startsWith(`${r.replace(/\/$/, "")}/`))) {
                reportViolation(`container ${String(c.name)}: image ${image} is not from an allowed registry (${allowedRegistries.join(", ")}).`);
            }
        }
    },
};

export const noPrivilegedOrHostNamespaces: ResourceValidationPolicy = {
    name: "no-privileged-or-host-namespaces",
    description: "Workloads the program creates run no privileged containers and share no host network, PID or IPC namespace.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!workloadTypes.has(args.type)) {
            return;
        }
        const spec = podSpec(args.type, args.props);
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (spec[field] === true) {
                reportViolation(`${field} is true; remove it: platform workloads do not share the node's namespaces.`);
            }
        }
        for (const c of containersOf(spec)) {
            if (obj(c.securityContext).privileged === true) {
                reportViolation(`container ${String(c.name)} is privileged; drop privileged and add only the capabilities it needs.`);
            }
        }
    },
};

export const eksEndpointAndEncryption: ResourceValidationPolicy = {
    name: "eks-endpoint-and-encryption",
    description: "EKS clusters do not expose their API to 0.0.0.0/0 and encrypt Secrets with KMS.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== "aws:eks/cluster:Cluster") {
            return;
        }
        const vpc = obj(args.props.vpcConfig);
        const cidrs = (vpc.publicAccessCidrs ?? []) as string[];
        // AWS opens a public endpoint without CIDRs to 0.0.0.0/0.
        if (vpc.endpointPublicAccess !== false && (cidrs.length === 0 || cidrs.includes("0.0.0.0/0"))) {
            reportViolation("the API endpoint is public to 0.0.0.0/0; list the ranges that may reach it in fawkes:cluster.apiAccess { mode: public, cidrs } or use { mode: private }.");
        }
        const resources = (obj(args.props.encryptionConfig).resources ?? []) as string[];
        if (!resources.includes("secrets")) {
            reportViolation("Secrets are not encrypted with a KMS key; set encryptionConfig { resources: [secrets], provider.keyArn }.");
        }
    },
};

export const aksApiServerRestricted: ResourceValidationPolicy = {
    name: "aks-api-server-restricted",
    description: "AKS API servers are private or admit only authorized IP ranges, never 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type !== "azure-native:containerservice:ManagedCluster") {
            return;
        }
        const access = obj(args.props.apiServerAccessProfile);
        if (access.enablePrivateCluster === true) {
            return;
        }
        const ranges = Array.isArray(access.authorizedIPRanges) ? (access.authorizedIPRanges as unknown[]) : [];
        // Without authorized IP ranges a public AKS API server answers the whole internet.
        if (ranges.length === 0 || ranges.includes("0.0.0.0/0")) {
            reportViolation(
                "the API server is public to 0.0.0.0/0; list the ranges that may reach it in fawkes:cluster.apiAccess { mode: public, cidrs } (authorized IP ranges) or use { mode: private }.",
            );
        }
    },
};

export const aksRbac: ResourceValidationPolicy = {
    name: "aks-rbac",
    description: "AKS clusters have Kubernetes RBAC enabled.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (args.type === "azure-native:containerservice:ManagedCluster" && args.props.enableRBAC !== true) {
            reportViolation("enableRBAC is not true; AKS clusters must use Kubernetes RBAC.");
        }
    },
};
