// The tenancy layer: a namespace per catalog app, owned by Pulumi, with a ResourceQuota
// derived from the app's catalog footprint and a LimitRange so no pod runs without
// requests. Argo CD and Helm install into these namespaces; they never create them.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type NodeCounts, containerDefaults, namespaceQuota, quotaHard } from "./budget";
import { type CatalogApp, podSecurityOf } from "./catalog";
import { podSecurityLabels } from "./addons/pod-security";
import { partOfLabel as partOf } from "../policy/lib/labels";
import { poolLabel } from "./cluster/types";

export const partOfLabel = { [partOf.key]: partOf.value } as const;

export interface AppTenancyArgs {
    readonly app: CatalogApp;
    /** Nodes in the app's pool and in the cluster, for DaemonSet footprints. */
    readonly nodes: NodeCounts;
    readonly provider: k8s.Provider;
}

const noPods = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 }, pods: 0 };

export class AppTenancy extends pulumi.ComponentResource {
    /** The namespace name, as an output of the Namespace so dependents wait for it. */
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: AppTenancyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:tenancy:AppTenancy", name, {}, opts);
        const { app, provider } = args;
        const child = { parent: this, provider };
        const labels = { ...partOfLabel, [poolLabel]: app.pool, "app.kubernetes.io/name": app.name };
        // Pod Security Admission: the API server holds the app's level even while Kyverno is down.
        const level = podSecurityOf(app);
        const nsLabels = { ...labels, ...podSecurityLabels(level.enforce, level.warn) };

        const ns = new k8s.core.v1.Namespace(name, { metadata: { name: app.namespace, labels: nsLabels } }, child);
        this.namespace = ns.metadata.name;
        new k8s.core.v1.ResourceQuota(
            name,
            { metadata: { name: "fawkes-budget", namespace: this.namespace, labels }, spec: { hard: quotaHard(namespaceQuota(app, args.nodes)) } },
            child,
        );
        new k8s.core.v1.LimitRange(
            name,
            {
                metadata: { name: "fawkes-defaults", namespace: this.namespace, labels },
                spec: { limits: [{ type: "Container", defaultRequest: { ...containerDefaults.defaultRequest }, default: { ...containerDefaults.default } }] },
            },
            child,
        );
        for (const extra of app.extraNamespaces ?? []) {
            const extraNs = new k8s.core.v1.Namespace(`${name}-${extra}`, { metadata: { name: extra, labels: nsLabels } }, child);
            new k8s.core.v1.ResourceQuota(
                `${name}-${extra}`,
                { metadata: { name: "fawkes-budget", namespace: extraNs.metadata.name, labels }, spec: { hard: quotaHard(noPods) } },
                child,
            );
        }
        this.registerOutputs({ namespace: this.namespace });
    }
}
