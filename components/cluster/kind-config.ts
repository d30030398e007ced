// Renders the kind cluster configuration (kind.x-k8s.io/v1alpha4). Pure, so tests can read
// exactly what `kind create cluster` will get.

import { stringify } from "yaml";
import type { KindClusterConfig } from "../config-types";
import { kindNodeImages } from "../kubernetes-versions";
import { containerdConfigPatch } from "./image-cache";
import { type NodePool, type NodeTaint, poolLabels } from "./types";

/** kubeadm taints the control plane of a multi-node cluster; kind keeps that taint. */
export const controlPlaneTaint: NodeTaint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

/** The label kind's ingress guides use to pin the ingress controller to the node with host ports. */
export const ingressReadyLabel = "ingress-ready";

/** The node pools a kind cluster runs: its control plane plus one worker per pool node. */
export function kindNodePools(config: KindClusterConfig): NodePool[] {
    const controlPlane: NodePool = {
        name: "control-plane",
        role: "control-plane",
        count: 1,
        cpu: config.controlPlane.cpu,
        memoryGiB: config.controlPlane.memoryGiB,
        labels: poolLabels({ name: "control-plane", ...config.controlPlane }, { [ingressReadyLabel]: "true" }),
        taints: [controlPlaneTaint],
    };
    const workers = config.pools.map(
        (p): NodePool => ({ name: p.name, role: "worker", count: p.count, cpu: p.cpu, memoryGiB: p.memoryGiB, labels: poolLabels(p), taints: [] }),
    );
    return [controlPlane, ...workers];
}

export function kindNodeImage(kubernetesVersion: string): string {
    const image = kindNodeImages[kubernetesVersion];
    if (image === undefined) {
        // config.ts only lets through versions that have an image; this guards the two tables.
        throw new Error(`no kind node image is pinned for Kubernetes ${kubernetesVersion}`);
    }
    return image;
}

/** The YAML handed to `kind create cluster --config`. */
export function renderKindConfig(config: KindClusterConfig): string {
    const image = kindNodeImage(config.kubernetesVersion);
    const nodes = kindNodePools(config).flatMap((pool) =>
        Array.from({ length: pool.count }, () => ({
            role: pool.role,
            image,
            labels: { ...pool.labels },
            // Host ports (80/443 by default) reach the ingress controller on the control plane, so
            // https://<app>.<domain> works from the laptop without port-forwarding. They bind
            // to 127.0.0.1 unless configured otherwise: the platform answers this machine only.
            ...(pool.role === "control-plane"
                ? {
                      extraPortMappings: [
                          { containerPort: 80, hostPort: config.hostPorts.http, listenAddress: config.hostPorts.listenAddress, protocol: "TCP" },
                          { containerPort: 443, hostPort: config.hostPorts.https, listenAddress: config.hostPorts.listenAddress, protocol: "TCP" },
                      ],
                  }
                : {}),
        })),
    );
    // With the image caches, containerd reads per-registry mirrors from certs.d (written into
    // the nodes after creation, so the cluster need not change when a registry is added).
    const patches = config.imageCache ? { containerdConfigPatches: [containerdConfigPatch] } : {};
    return stringify({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: config.name, nodes, ...patches });
}
