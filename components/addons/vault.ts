// HashiCorp Vault: an in-memory dev server with a generated root token on dev stacks; on ha
// stacks a three-node raft cluster on TLS from an internal CA (vault-tls.ts) that auto-unseals
// with a cloud key created here (KMS on EKS, Key Vault on AKS). Unseal and recovery keys never
// touch a Kubernetes Secret: auto-unseal needs none, and the recovery keys printed by the
// one-time `vault operator init` stay with the operator (see the README).

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { CatalogApp, Container } from "../catalog";
import type { CloudContext, NodePool } from "../cluster/types";
import type { IngressController as IngressControllerName } from "../config-types";
import { addonRelease, deepMerge, type Values } from "./helm";
import { vaultVersion } from "./vault-config";
import { vaultAddresses, type VaultAddresses, vaultApiPort, VaultTls, vaultTlsDir, vaultTlsFiles, vaultTlsSecret, vaultTlsValues } from "./vault-tls";
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
    readonly stack: string;
    /** Extra Ingress annotations: the internal entrypoint, with fawkes:ingress.internal (IngressController.routeAnnotations). */
    readonly ingressAnnotations?: Readonly<Record<string, string>>;
    /** ha: the Issuer and Certificate need cert-manager; the ingress controller re-encrypts to Vault. */
    readonly tls: { readonly certManager: pulumi.Resource; readonly ingress: { readonly controller: IngressControllerName; readonly release: pulumi.Resource } };
}

/** Vault's API as a Service of the cluster: what the API server's service proxy forwards to (vault-api-proxy.ts). */
export interface VaultApiService {
    readonly namespace: string;
    readonly name: string;
    readonly scheme: "http" | "https";
    readonly port: number;
}

/** The Secret holding a dev Vault's root token, which the server reads as VAULT_DEV_ROOT_TOKEN_ID. */
const devRootTokenSecret = "vault-dev-root-token";

/** A dev server's config: `-dev` brings the in-memory storage and the listener; this adds the UI. */
const devServerConfig = ["ui = true", "disable_mlock = true", ""].join("\n");

/** The TLS listener and raft storage; peers join each other by DNS through the chart's headless service, over TLS. */
export function raftConfig(addresses: VaultAddresses, seal: string): string {
    const joins = addresses.peers
        .map((peer) => [`  retry_join {`, `    leader_api_addr     = "${peer}"`, `    leader_ca_cert_file = "${vaultTlsFiles.ca}"`, `  }`].join("\n"))
        .join("\n");
    return [
        "ui = true",
        "",
        'listener "tcp" {',
        `  address         = "[::]:${vaultApiPort}"`,
        '  cluster_address = "[::]:8201"',
        // Reloaded on SIGHUP (the reload sidecar sends it when cert-manager renews the certificate).
        `  tls_cert_file   = "${vaultTlsFiles.cert}"`,
        `  tls_key_file    = "${vaultTlsFiles.key}"`,
        '  tls_min_version = "tls12"',
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

/**
 * The reload sidecar's loop: when the mounted certificate changes (the kubelet swaps the Secret
 * volume's files after cert-manager renews it), SIGHUP the server process, which makes Vault
 * reload its listener's certificate. `^vault server` matches the server's command line alone,
 * not the readiness probe's `vault status` nor this shell. Busybox sh, sha256sum and pkill are
 * in the Vault image (Alpine).
 */
export const reloadScript = [
    `cert=${vaultTlsFiles.cert}`,
    'seen=$(sha256sum < "$cert")',
    "while sleep 60; do",
    '  now=$(sha256sum < "$cert")',
    `  if [ "$now" != "$seen" ] && pkill -HUP -f '^vault server'; then`,
    '    echo "server certificate changed: sent SIGHUP to vault"',
    '    seen="$now"',
    "  fi",
    "done",
].join("\n");

/** The sidecar: the server's own image, no API access, nothing writable, the catalog's resources. */
function reloadSidecar(declared: Container): Values {
    return {
        name: declared.name,
        image: `hashicorp/vault:${vaultVersion}`,
        command: ["/bin/sh", "-c", reloadScript],
        resources: { requests: { ...declared.requests }, limits: { ...declared.limits } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
        // The chart names an extraVolumes Secret's volume userconfig-<name>.
        volumeMounts: [{ name: `userconfig-${vaultTlsSecret}`, mountPath: vaultTlsDir, readOnly: true }],
    };
}

export class Vault extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Root token of a dev-mode Vault (secret); undefined on ha stacks. */
    readonly devRootToken?: pulumi.Output<string>;
    /** In-cluster API address for clients such as External Secrets. */
    readonly internalAddress: string;
    /** ha: the CA Vault's certificate chains to, which every client trusts; undefined in dev mode (no TLS). */
    readonly caCertificate?: pulumi.Output<string>;
    /** The Service the Vault provider reaches through the API server: the active node on ha. */
    readonly apiService: VaultApiService;

    constructor(name: string, args: VaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:Vault", name, {}, opts);
        const release = args.app.name;
        const namespace = args.app.namespace;
        const ingress = (extraAnnotations: Readonly<Record<string, string>>) => ({
            enabled: true,
            ingressClassName: args.ingressClassName,
            annotations: { ...args.ingressAnnotations, ...extraAnnotations, "cert-manager.io/cluster-issuer": args.clusterIssuer },
            hosts: [{ host: args.host, paths: [] }],
            tls: [{ secretName: `${release}-tls`, hosts: [args.host] }],
        });

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
                    ingress: ingress({}),
                    standalone: { enabled: true, config: devServerConfig },
                    dataStorage: { enabled: false },
                    extraArgs: `-dev -dev-listen-address=[::]:${vaultApiPort}`,
                    extraSecretEnvironmentVars: [{ envName: "VAULT_DEV_ROOT_TOKEN_ID", secretName: devRootTokenSecret, secretKey: "token" }],
                },
            };
            // A dev server listens without TLS.
            this.internalAddress = `http://${release}.${namespace}.svc:${vaultApiPort}`;
            this.apiService = { namespace, name: release, scheme: "http", port: vaultApiPort };
        } else {
            const server = args.app.workloads.find((w) => w.name === release)!;
            const addresses = vaultAddresses(release, namespace, server.replicas);
            const tls = new VaultTls(
                `${name}-tls`,
                { namespace: args.namespace, namespaceName: namespace, addresses, provider: args.provider, certManager: args.tls.certManager, ingress: args.tls.ingress, stack: args.stack },
                { parent: this },
            );
            this.caCertificate = tls.caCertificate;
            // The StatefulSet mounts the certificate's Secret: without it the pods wait in ContainerCreating.
            dependsOn.push(tls.serverCertificate);
            // The catalog's containers without a values path are the ones this program writes: the reload sidecar.
            const sidecars = server.containers.filter((c) => c.resourcesPath === undefined).map(reloadSidecar);
            const unseal = this.createUnseal(name, args, release);
            values = pulumi.all([unseal.sealStanza, pulumi.output(unseal.serviceAccountAnnotations)]).apply(
                ([seal, annotations]): Values =>
                    deepMerge(vaultTlsValues, {
                        injector: { enabled: false },
                        server: {
                            ingress: { ...ingress(tls.ingressAnnotations), activeService: true },
                            service: { active: { annotations: { ...tls.activeServiceAnnotations } } },
                            ha: { enabled: true, raft: { enabled: true, setNodeId: true, config: raftConfig(addresses, seal) } },
                            // The sidecar signals the server process, so the pod's containers share one process namespace.
                            shareProcessNamespace: true,
                            extraContainers: sidecars,
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
            this.internalAddress = addresses.active;
            this.apiService = { namespace, name: `${release}-active`, scheme: "https", port: vaultApiPort };
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
