// Read-only access to another app's ConfigMaps, where the catalog declares it (Grafana's
// sidecars reading kube-prometheus-stack's dashboards in monitoring). The program grants it,
// not a chart: app projects cannot deploy into another app's namespace, and the charts' own
// Roles would grant Secrets too.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GitOpsApp } from "./catalog";
import { partOfLabel } from "./tenancy";

export interface ConfigMapReadersArgs {
    readonly app: GitOpsApp;
    /** The tenancy layer's namespaces, by name: the reads wait for them. */
    readonly namespaces: ReadonlyMap<string, pulumi.Input<string>>;
    readonly provider: k8s.Provider;
}

export class ConfigMapReaders extends pulumi.ComponentResource {
    constructor(name: string, args: ConfigMapReadersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:tenancy:ConfigMapReaders", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        for (const read of args.app.configMapReads ?? []) {
            const namespace = args.namespaces.get(read.namespace);
            if (namespace === undefined) {
                // Only enabled apps' namespaces exist; the reader's dependency is then off too.
                continue;
            }
            const roleName = `${args.app.name}-configmap-reader`;
            const metadata = { name: roleName, namespace, labels: { ...partOfLabel, "app.kubernetes.io/name": args.app.name } };
            const role = new k8s.rbac.v1.Role(`${name}-${read.namespace}`, { metadata, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }] }, child);
            new k8s.rbac.v1.RoleBinding(
                `${name}-${read.namespace}`,
                {
                    metadata,
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                    subjects: [{ kind: "ServiceAccount", name: read.serviceAccount, namespace: args.app.namespace }],
                },
                child,
            );
        }
        this.registerOutputs({});
    }
}
