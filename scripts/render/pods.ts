// The objects of a render that make pods, with their pod templates: what the cluster will
// run, for the comparison with the catalog, the admission checks and the quotas.

import { hookPhases, type K8sObject } from "./helm-template";

export const podControllerKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"] as const;
export type PodControllerKind = (typeof podControllerKinds)[number];

export interface PodSpecLike {
    containers: ContainerLike[];
    initContainers?: ContainerLike[];
    ephemeralContainers?: ContainerLike[];
    nodeSelector?: Record<string, string>;
    securityContext?: Record<string, unknown>;
    [field: string]: unknown;
}

export interface ContainerLike {
    name: string;
    image: string;
    resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
    securityContext?: Record<string, unknown>;
    [field: string]: unknown;
}

export interface PodTemplate {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: PodSpecLike;
}

export interface PodMaker {
    readonly object: K8sObject;
    readonly kind: PodControllerKind;
    readonly name: string;
    readonly namespace: string;
    /** Pods it runs at once: replicas, parallelism, or one (DaemonSets: per node, see nodes). */
    readonly replicas: number;
    readonly template: PodTemplate;
    /** Helm hook phases; empty for an object that lives with the release. */
    readonly hooks: readonly string[];
}

export const isPodMaker = (o: K8sObject): boolean => (podControllerKinds as readonly string[]).includes(o.kind);

/** The pod template of a pod-making object. */
export function podTemplateOf(o: K8sObject): PodTemplate {
    const spec = o.spec as Record<string, unknown>;
    switch (o.kind) {
        case "Pod":
            return { metadata: o.metadata, spec: spec as unknown as PodSpecLike };
        case "CronJob":
            return ((spec.jobTemplate as { spec: { template: PodTemplate } }).spec.template);
        default:
            return spec.template as PodTemplate;
    }
}

function replicasOf(o: K8sObject): number {
    const spec = o.spec as Record<string, unknown>;
    switch (o.kind) {
        case "Deployment":
        case "StatefulSet":
        case "ReplicaSet":
            return typeof spec.replicas === "number" ? spec.replicas : 1;
        case "Job":
            return typeof spec.parallelism === "number" ? spec.parallelism : 1;
        case "CronJob":
            return ((spec.jobTemplate as { spec: { parallelism?: number } }).spec.parallelism ?? 1);
        default:
            return 1;
    }
}

export function podMakers(objects: readonly K8sObject[], defaultNamespace: string): PodMaker[] {
    return objects.filter(isPodMaker).map((o) => ({
        object: o,
        kind: o.kind as PodControllerKind,
        name: o.metadata.name,
        namespace: o.metadata.namespace ?? defaultNamespace,
        replicas: replicasOf(o),
        template: podTemplateOf(o),
        hooks: hookPhases(o),
    }));
}

/** Every container and init container of a pod spec (ephemeral containers are added to running pods, never rendered). */
export function allContainers(spec: PodSpecLike): { container: ContainerLike; init: boolean }[] {
    return [...spec.containers.map((container) => ({ container, init: false })), ...(spec.initContainers ?? []).map((container) => ({ container, init: true }))];
}
