// The tenancy layer: the namespaces of each catalog app, owned by Pulumi. Each namespace where
// the app runs pods gets a ResourceQuota derived from the catalog footprint of the workloads
// that run there and a LimitRange so no pod runs without requests; a namespace the chart
// deploys only configuration into gets a quota that admits no pods. Each carries the Pod
// Security level of the workloads it holds (catalog/pod-security.ts), so a node agent's
// privileged namespace leaves the rest of its app at baseline or restricted. Argo CD and Helm
// install into these namespaces; they never create them.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type NodeCounts, containerDefaults, namespaceQuota, quotaHard } from "./budget";
import { type CatalogApp, podSecurityOf } from "./catalog";
import { type AppNamespace, appNamespaces } from "./catalog/namespaces";
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
    /** The app's own namespace name, as an output of the Namespace so dependents wait for it. */
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: AppTenancyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:tenancy:AppTenancy", name, {}, opts);
        const { app, provider } = args;
        const child = { parent: this, provider };
        const labels = { ...partOfLabel, [poolLabel]: app.pool, "app.kubernetes.io/name": app.name };

        const created = appNamespaces(app).map((ns) => this.createNamespace(ns.primary ? name : `${name}-${ns.name}`, app, ns, labels, args.nodes, child));
        this.namespace = created[0];
        this.registerOutputs({ namespace: this.namespace });
    }

    private createNamespace(name: string, app: CatalogApp, ns: AppNamespace, labels: Record<string, string>, nodes: NodeCounts, child: pulumi.CustomResourceOptions): pulumi.Output<string> {
        // Pod Security Admission: the API server holds the namespace's level even while Kyverno is down.
        const level = podSecurityOf(app, ns.name);
        const namespace = new k8s.core.v1.Namespace(name, { metadata: { name: ns.name, labels: { ...labels, ...podSecurityLabels(level.enforce, level.warn) } } }, child).metadata.name;
        // Only the chart's configuration lands in a namespace without workloads: no pods at all.
        const runsPods = ns.primary || ns.workloads.length > 0;
        const hard = quotaHard(runsPods ? namespaceQuota({ ...app, workloads: ns.workloads }, nodes) : noPods);
        new k8s.core.v1.ResourceQuota(name, { metadata: { name: "fawkes-budget", namespace, labels }, spec: { hard } }, child);
        if (runsPods) {
            new k8s.core.v1.LimitRange(
                name,
                {
                    metadata: { name: "fawkes-defaults", namespace, labels },
                    spec: { limits: [{ type: "Container", defaultRequest: { ...containerDefaults.defaultRequest }, default: { ...containerDefaults.default } }] },
                },
                child,
            );
        }
        return namespace;
    }
}
