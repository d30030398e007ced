// Kyverno and the platform's baseline ClusterPolicies (see kyverno-policies.ts).

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { addonRelease } from "./helm";
import { clusterPolicy, policyNames } from "./kyverno-policies";

export interface KyvernoArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    /** Every catalog app, for their documented policy exceptions. */
    readonly apps: readonly CatalogApp[];
}

export class Kyverno extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly policies: k8s.apiextensions.CustomResource[];

    constructor(name: string, args: KyvernoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:Kyverno", name, {}, opts);
        this.release = addonRelease(name, { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values: {} }, { parent: this });
        this.policies = policyNames.map(
            (policy) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${policy}`,
                    clusterPolicy(policy, args.apps) as k8s.apiextensions.CustomResourceArgs,
                    // The ClusterPolicy CRD and Kyverno's webhooks come with the release.
                    { parent: this, provider: args.provider, dependsOn: [this.release] },
                ),
        );
        this.registerOutputs({});
    }
}
