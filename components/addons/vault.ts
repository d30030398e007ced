// HashiCorp Vault: an in-memory dev server with a generated root token on dev stacks; on ha stacks a
// three-node raft cluster that auto-unseals with a cloud key created here (KMS on EKS, Key
// Vault on AKS). Unseal and recovery keys never touch a Kubernetes Secret: auto-unseal
// needs none, and the recovery keys printed by the one-time `vault operator init` stay
// with the operator (see the README).

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { CatalogApp } from "../catalog";
import type { CloudContext, NodePool } from "../cluster/types";
import { addonRelease, type Values } from "./helm";
import type { VaultUnseal } from "./vault-unseal";

export interface VaultArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    readonly ha: boolean;
    readonly cloud: CloudContext;
    readonly host: string;
    readonly ingressClassName: string;
    readonly clusterIssuer: string;
    readonly clusterName: string;
    /** Extra Ingress annotations: the internal entrypoint, with fawkes:ingress.internal (IngressController.routeAnnotations). */
    readonly ingressAnnotations?: Readonly<Record<string, string>>;
}

/** The Secret holding a dev Vault's root token, which the server reads as VAULT_DEV_ROOT_TOKEN_ID. */
const devRootTokenSecret = "vault-dev-root-token";

/** A dev server's config: `-dev` brings the in-memory storage and the listener; this adds the UI. */
const devServerConfig = ["ui = true", "disable_mlock = true", ""].join("\n");

/** The raft listener and storage, joined by DNS through the chart's headless service. */
function raftConfig(release: string, replicas: number, seal: string): string {
    const joins = Array.from({ length: replicas }, (_, i) => `  retry_join {\n    leader_api_addr = "http://${release}-${i}.${release}-internal:8200"\n  }`).join("\n");
    return [
        "ui = true",
        "",
        'listener "tcp" {',
        "  tls_disable     = 1",
        '  address         = "[::]:8200"',
        '  cluster_address = "[::]:8201"',
        "}",
        "",
        'storage "raft" {',
        '  path = "/vault/data"',
        joins,
        "}",
        "",
        'service_registration "kubernetes" {}',
        "",
        seal,
    ].join("\n");
}

export class Vault extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Root token of a dev-mode Vault (secret); undefined on ha stacks. */
    readonly devRootToken?: pulumi.Output<string>;
    /** In-cluster API address for clients such as External Secrets. */
    readonly internalAddress: string;

    constructor(name: string, args: VaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:Vault", name, {}, opts);
        const release = args.app.name;
        const ingress = {
            enabled: true,
            ingressClassName: args.ingressClassName,
            annotations: { ...args.ingressAnnotations, "cert-manager.io/cluster-issuer": args.clusterIssuer },
            hosts: [{ host: args.host, paths: [] }],
            tls: [{ secretName: `${release}-tls`, hosts: [args.host] }],
        };

        let values: pulumi.Input<Values>;
        const dependsOn: pulumi.Resource[] = [];
        if (!args.ha) {
            const token = new RandomPassword(`${name}-root-token`, { length: 32, special: false }, { parent: this });
            this.devRootToken = pulumi.secret(token.result);
            // The chart's own dev mode drops the server's nodeSelector, tolerations and affinity
            // (and writes the root token into the pod spec), so its pod could land on any pool.
            // Instead: the chart's standalone mode, running the same in-memory `vault server -dev`
            // over a config without listener or storage, with the root token from a Secret.
            const tokenSecret = new k8s.core.v1.Secret(
                `${name}-dev-root-token`,
                { metadata: { name: devRootTokenSecret, namespace: args.namespace }, stringData: { token: this.devRootToken } },
                { parent: this, provider: args.provider },
            );
            dependsOn.push(tokenSecret);
            values = {
                // The injector is not used: apps get secrets through External Secrets.
                injector: { enabled: false },
                server: {
                    ingress,
                    standalone: { enabled: true, config: devServerConfig },
                    dataStorage: { enabled: false },
                    extraArgs: "-dev -dev-listen-address=[::]:8200",
                    extraSecretEnvironmentVars: [{ envName: "VAULT_DEV_ROOT_TOKEN_ID", secretName: devRootTokenSecret, secretKey: "token" }],
                },
            };
            this.internalAddress = `http://${release}.${args.app.namespace}.svc:8200`;
        } else {
            const unseal = this.createUnseal(name, args, release);
            const replicas = args.app.workloads.find((w) => w.name === release)!.replicas;
            values = pulumi.all([unseal.sealStanza, pulumi.output(unseal.serviceAccountAnnotations)]).apply(
                ([seal, annotations]): Values => ({
                    injector: { enabled: false },
                    server: {
                        ingress,
                        ha: { enabled: true, raft: { enabled: true, setNodeId: true, config: raftConfig(release, replicas, seal) } },
                        // The chart's default anti-affinity is required; the platform pool may
                        // have fewer nodes than Vault has replicas, so only prefer spreading.
                        affinity: {
                            podAntiAffinity: {
                                preferredDuringSchedulingIgnoredDuringExecution: [
                                    {
                                        weight: 100,
                                        podAffinityTerm: {
                                            labelSelector: { matchLabels: { "app.kubernetes.io/name": "vault", component: "server" } },
                                            topologyKey: "kubernetes.io/hostname",
                                        },
                                    },
                                ],
                            },
                        },
                        serviceAccount: { annotations },
                        extraLabels: unseal.podLabels,
                        dataStorage: { enabled: true, size: "10Gi" },
                    },
                }),
            );
            this.internalAddress = `http://${release}-active.${args.app.namespace}.svc:8200`;
        }
        this.release = addonRelease(name, { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values }, { parent: this, dependsOn });
        this.registerOutputs({ internalAddress: this.internalAddress });
    }

    private createUnseal(name: string, args: VaultArgs, release: string): VaultUnseal {
        const common = { namespace: args.app.namespace, serviceAccount: release, protect: true };
        switch (args.cloud.kind) {
            case "eks": {
                /* eslint-disable-next-line @typescript-eslint/no-require-imports -- cloud SDKs load only for their backend */
                const { EksVaultUnseal } = require("./vault-unseal-eks") as typeof import("./vault-unseal-eks");
                return new EksVaultUnseal(`${name}-unseal`, { ...common, cloud: args.cloud }, { parent: this });
            }
            case "aks": {
                /* eslint-disable-next-line @typescript-eslint/no-require-imports -- cloud SDKs load only for their backend */
                const { AksVaultUnseal } = require("./vault-unseal-aks") as typeof import("./vault-unseal-aks");
                const keyVaultName = `${args.clusterName.slice(0, 17).replace(/-+$/, "")}-unseal`;
                return new AksVaultUnseal(`${name}-unseal`, { ...common, cloud: args.cloud, keyVaultName }, { parent: this });
            }
            case "kind":
                // config.ts refuses ha on kind; reaching this is a programming error.
                throw new Error("HA Vault needs a cloud key for auto-unseal; kind stacks run Vault in dev mode");
        }
    }
}
