// Policy settings: each comes from the pack's policy config (a JSON file passed with
// --policy-pack-config), with these defaults when a key is not set.

import type { PolicyConfigSchema } from "@pulumi/policy";
import type { ReservationModel } from "../lib/allocatable";

export interface BudgetSettings {
    /** Share of allocatable CPU and memory the requests may use, per pool and in total. */
    readonly targetUtilization: number;
    readonly reservationModel: ReservationModel;
}

export const budgetDefaults: BudgetSettings = { targetUtilization: 0.7, reservationModel: "tiered" };

export const budgetSchema: PolicyConfigSchema = {
    properties: {
        targetUtilization: { type: "number", minimum: 0.01, maximum: 1, default: budgetDefaults.targetUtilization, description: "Budget as a share of allocatable" },
        reservationModel: {
            type: "string",
            enum: ["tiered", "none"],
            default: budgetDefaults.reservationModel,
            description: "tiered: GKE/AKS kube and system reservation tiers plus eviction threshold; none: capacity = allocatable",
        },
    },
};

export interface ImageSettings {
    /** Registries (host or host/path prefixes) images may come from; empty allows any. */
    readonly allowedRegistries: readonly string[];
}

export const imageDefaults: ImageSettings = { allowedRegistries: [] };

export const imageSchema: PolicyConfigSchema = {
    properties: {
        allowedRegistries: { type: "array", items: { type: "string" }, default: [], description: "Registry prefixes images may come from; empty allows any" },
    },
};

export interface LoadBalancerSettings {
    /** Namespaces and Helm release names allowed to run a LoadBalancer Service: the ingress controller's. */
    readonly ingressNamespaces: readonly string[];
}

export const loadBalancerDefaults: LoadBalancerSettings = { ingressNamespaces: ["traefik", "ingress-nginx"] };

export const loadBalancerSchema: PolicyConfigSchema = {
    properties: {
        ingressNamespaces: { type: "array", items: { type: "string" }, default: loadBalancerDefaults.ingressNamespaces, description: "Namespaces (and release names) of the ingress controller" },
    },
};

/** Reads a policy's settings, filling in defaults for keys the config does not set. */
export function settings<T extends object>(config: Partial<T> | undefined, defaults: T): T {
    const out = { ...defaults };
    for (const [key, value] of Object.entries(config ?? {})) {
        if (value !== undefined && key in defaults) {
            (out as Record<string, unknown>)[key] = value;
        }
    }
    return out;
}
