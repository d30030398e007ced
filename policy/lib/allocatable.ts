// Node allocatable capacity: what the scheduler can hand to pods once the kubelet, the
// container runtime and the OS have their reservation and the eviction threshold is kept
// free.
//
// Reservation model "tiered" is the one GKE publishes for its nodes and AKS uses in the
// same shape ("Node allocatable resources", cloud.google.com/kubernetes-engine/docs/
// concepts/plan-node-sizes; "Resource reservations", learn.microsoft.com/azure/aks/
// node-resource-reservations):
//   CPU:    6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above 4.
//   Memory: 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the
//           next 112, 2 % above 128 GiB; plus a 100 MiB hard eviction threshold.
// Model "none" treats capacity as allocatable (to compare with raw node sizes).

export type ReservationModel = "tiered" | "none";

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** Applies rate tiers [(size, rate), ...] to an amount; the last tier covers the rest. */
function tiered(amount: number, tiers: readonly (readonly [number, number])[]): number {
    let reserved = 0;
    let left = amount;
    for (const [size, rate] of tiers) {
        const slice = Math.min(left, size);
        reserved += slice * rate;
        left -= slice;
        if (left <= 0) {
            break;
        }
    }
    return reserved;
}

export const evictionThreshold = 100 * MiB;

/** Reserved CPU in millicores for a node of `cores` vCPUs. */
export function reservedCpu(cores: number): number {
    return tiered(cores * 1000, [
        [1000, 0.06],
        [1000, 0.01],
        [2000, 0.005],
        [Infinity, 0.0025],
    ]);
}

/** Reserved memory in bytes (kube + system reservation and eviction threshold) for `memoryGiB`. */
export function reservedMemory(memoryGiB: number): number {
    return (
        tiered(memoryGiB * GiB, [
            [4 * GiB, 0.25],
            [4 * GiB, 0.2],
            [8 * GiB, 0.1],
            [112 * GiB, 0.06],
            [Infinity, 0.02],
        ]) + evictionThreshold
    );
}

/** Allocatable CPU (millicores) and memory (bytes) of one node. */
export function allocatable(cores: number, memoryGiB: number, model: ReservationModel): { cpu: number; memory: number } {
    if (model === "none") {
        return { cpu: cores * 1000, memory: memoryGiB * GiB };
    }
    return { cpu: cores * 1000 - reservedCpu(cores), memory: memoryGiB * GiB - reservedMemory(memoryGiB) };
}

/**
 * Requests of the control-plane static pods kubeadm runs on a kind control-plane node
 * (kube-apiserver 250m, kube-controller-manager 200m, kube-scheduler 100m, etcd 100m and
 * 100Mi): capacity the platform's pods cannot use there.
 */
export const kindControlPlaneOverhead = { cpu: 650, memory: 100 * MiB };
