// External Secrets Operator, and a SecretStore `vault` in each app namespace that reads
// platform secrets. A store logs in to Vault with Kubernetes auth as its own namespace's
// reader service account (a token External Secrets requests for the Vault audience), under
// that namespace's Vault role, whose policy reads only the app's own paths. There is no
// ClusterSecretStore: a store any namespace could name would read for every namespace.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { partOfLabel } from "../tenancy";
import { readerRole, secretReaderServiceAccount, type SecretReader, secretStoreName, vaultAudience } from "../vault-policies";
import { addonRelease } from "./helm";
import { vaultLayout } from "./vault-config";

const esoApiVersion = "external-secrets.io/v1";

export interface ExternalSecretsArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    /** Vault's in-cluster API address. */
    readonly vaultAddress: string;
    /**
     * PEM of the CA Vault's certificate chains to (ha: https), carried inline by every store: a
     * namespaced store's caProvider can only name its own namespace, and the CA is public.
     */
    readonly vaultCaCertificate?: pulumi.Input<string>;
    /** The namespaces that read platform secrets; each gets a reader service account and a store. */
    readonly readers: readonly SecretReader[];
    /** The Tenancy layer's namespace of each reader's app, so its objects wait for it. */
    readonly namespaces: ReadonlyMap<string, pulumi.Input<string>>;
    /** Each reader's Vault role, by app; absent while Vault is not configured yet. */
    readonly vaultRoles?: ReadonlyMap<string, pulumi.Resource>;
}

export class ExternalSecrets extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Each reader's SecretStore, by app. */
    readonly stores: ReadonlyMap<string, k8s.apiextensions.CustomResource>;

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:ExternalSecrets", name, {}, opts);
        this.release = addonRelease(
            name,
            { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values: { installCRDs: true } },
            { parent: this },
        );
        const stores = new Map<string, k8s.apiextensions.CustomResource>();
        // The CRD's caBundle is bytes: base64 of the PEM. (A harness that echoes inputs has no
        // generated certificate: an empty bundle there, never a throw.)
        const caBundle =
            args.vaultCaCertificate === undefined ? undefined : pulumi.output(args.vaultCaCertificate).apply((pem: string | undefined) => Buffer.from(pem ?? "", "utf8").toString("base64"));
        for (const reader of args.readers) {
            const namespace = args.namespaces.get(reader.app);
            if (namespace === undefined) {
                throw new Error(`${reader.app} reads Vault secrets, but the stack has no namespace for it`);
            }
            const child = { parent: this, provider: args.provider };
            const account = new k8s.core.v1.ServiceAccount(
                `${name}-${reader.app}`,
                // Only External Secrets uses it, through the TokenRequest API: no pod mounts its token.
                { metadata: { name: secretReaderServiceAccount, namespace, labels: { ...partOfLabel } }, automountServiceAccountToken: false },
                child,
            );
            const role = args.vaultRoles?.get(reader.app);
            stores.set(
                reader.app,
                new k8s.apiextensions.CustomResource(
                    `${name}-${reader.app}`,
                    {
                        apiVersion: esoApiVersion,
                        kind: "SecretStore",
                        metadata: { name: secretStoreName, namespace, labels: { ...partOfLabel } },
                        spec: {
                            provider: {
                                vault: {
                                    server: args.vaultAddress,
                                    ...(caBundle ? { caBundle } : {}),
                                    path: vaultLayout.kvMount,
                                    version: "v2",
                                    auth: {
                                        kubernetes: {
                                            mountPath: vaultLayout.kubernetesAuthPath,
                                            role: readerRole(reader.app),
                                            // A namespaced store can name only a service account of its own namespace.
                                            serviceAccountRef: { name: secretReaderServiceAccount, audiences: [vaultAudience] },
                                        },
                                    },
                                },
                            },
                        },
                    },
                    // The CRD and admission webhook come with the release; the role must exist for the store to log in.
                    { ...child, dependsOn: [this.release, account, ...(role ? [role] : [])] },
                ),
            );
        }
        this.stores = stores;
        this.registerOutputs({});
    }

    /** An ExternalSecret that copies fields of a platform Vault secret into a Kubernetes Secret, through its app's store. */
    externalSecret(
        name: string,
        spec: { app: string; namespace: pulumi.Input<string>; secretName: string; vaultPath: string; fields: Readonly<Record<string, string>>; labels?: Readonly<Record<string, string>> },
        opts: pulumi.CustomResourceOptions,
    ): k8s.apiextensions.CustomResource {
        const store = this.stores.get(spec.app);
        if (store === undefined) {
            throw new Error(`${spec.secretName} is read by ${spec.app}, which is not a Vault secret reader of this stack`);
        }
        return new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: esoApiVersion,
                kind: "ExternalSecret",
                metadata: { name: spec.secretName, namespace: spec.namespace },
                spec: {
                    refreshInterval: "1h",
                    secretStoreRef: { kind: "SecretStore", name: secretStoreName },
                    target: {
                        name: spec.secretName,
                        creationPolicy: "Owner",
                        // Labels where a reader finds the Secret by them (Argo CD's repository Secrets).
                        ...(spec.labels ? { template: { engineVersion: "v2", mergePolicy: "Merge", metadata: { labels: { ...spec.labels } } } } : {}),
                    },
                    data: Object.entries(spec.fields).map(([secretKey, property]) => ({ secretKey, remoteRef: { key: spec.vaultPath, property } })),
                },
            },
            { ...opts, dependsOn: [this.release, store] },
        );
    }
}
