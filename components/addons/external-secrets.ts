// External Secrets Operator and the platform's one ClusterSecretStore, `vault`, which logs
// in to Vault with Kubernetes auth as the operator's own service account.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { clusterSecretStoreName } from "../names";
import { addonRelease } from "./helm";
import { vaultLayout } from "./vault-config";

export { clusterSecretStoreName };
const esoApiVersion = "external-secrets.io/v1";

export interface ExternalSecretsArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    /** Vault's in-cluster API address. */
    readonly vaultAddress: string;
    /** The Vault role the store logs in with; absent while Vault is not configured yet. */
    readonly vaultRole?: pulumi.Resource;
}

export class ExternalSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly store: k8s.apiextensions.CustomResource;
    /** The operator's service account, which the Vault role must bind. */
    readonly serviceAccount: { readonly name: string; readonly namespace: string };

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:ExternalSecrets", name, {}, opts);
        // The chart names the controller's service account after the release.
        this.serviceAccount = { name: args.app.name, namespace: args.app.namespace };
        this.release = addonRelease(
            name,
            { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values: { installCRDs: true } },
            { parent: this },
        );
        this.store = new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: esoApiVersion,
                kind: "ClusterSecretStore",
                metadata: { name: clusterSecretStoreName },
                spec: {
                    provider: {
                        vault: {
                            server: args.vaultAddress,
                            path: vaultLayout.kvMount,
                            version: "v2",
                            auth: { kubernetes: { mountPath: vaultLayout.kubernetesAuthPath, role: vaultLayout.externalSecretsRole } },
                        },
                    },
                },
            },
            // The CRD and admission webhook come with the release; the role must exist for the store to log in.
            { parent: this, provider: args.provider, dependsOn: [this.release, ...(args.vaultRole ? [args.vaultRole] : [])] },
        );
        this.registerOutputs({});
    }

    /** An ExternalSecret that copies fields of a platform Vault secret into a Kubernetes Secret. */
    externalSecret(
        name: string,
        spec: { namespace: pulumi.Input<string>; secretName: string; vaultPath: string; fields: Readonly<Record<string, string>>; labels?: Readonly<Record<string, string>> },
        opts: pulumi.CustomResourceOptions,
    ): k8s.apiextensions.CustomResource {
        return new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: esoApiVersion,
                kind: "ExternalSecret",
                metadata: { name: spec.secretName, namespace: spec.namespace },
                spec: {
                    refreshInterval: "1h",
                    secretStoreRef: { kind: "ClusterSecretStore", name: clusterSecretStoreName },
                    target: {
                        name: spec.secretName,
                        creationPolicy: "Owner",
                        // Labels where a reader finds the Secret by them (Argo CD's repository Secrets).
                        ...(spec.labels ? { template: { engineVersion: "v2", mergePolicy: "Merge", metadata: { labels: { ...spec.labels } } } } : {}),
                    },
                    data: Object.entries(spec.fields).map(([secretKey, property]) => ({ secretKey, remoteRef: { key: spec.vaultPath, property } })),
                },
            },
            { ...opts, dependsOn: [this.release, this.store] },
        );
    }
}
