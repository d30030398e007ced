// TLS for an HA Vault: an internal CA this program generates (Let's Encrypt cannot issue for
// `*.svc` names) and a cert-manager CA Issuer in the vault namespace that signs Vault's server
// certificate for every name a client dials, renewed by cert-manager and reloaded by Vault on
// SIGHUP (the reload sidecar in vault.ts). The CA is generated here rather than by cert-manager
// so that its certificate is known to the program: External Secrets' stores carry it inline and
// the ingress controller trusts it, with no copy of a Secret across namespaces. Its private key
// is a Pulumi secret in state, which holds the Vault token of the stack as well.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PrivateKey } from "@pulumi/tls/privateKey";
import { SelfSignedCert } from "@pulumi/tls/selfSignedCert";
import type { IngressController as IngressControllerName } from "../config-types";
import type { Values } from "./helm";

/** Vault's API port on every listener and service. */
export const vaultApiPort = 8200;

/** The Secret cert-manager writes Vault's server certificate to (tls.crt, tls.key and the CA as ca.crt). */
export const vaultTlsSecret = "vault-server-tls";

/** Where the chart mounts a `server.extraVolumes` Secret: /vault/userconfig/<name>. */
export const vaultTlsDir = `/vault/userconfig/${vaultTlsSecret}`;
export const vaultTlsFiles = { cert: `${vaultTlsDir}/tls.crt`, key: `${vaultTlsDir}/tls.key`, ca: `${vaultTlsDir}/ca.crt` } as const;

/** The CA's issuer and its key pair's Secret, in the vault namespace only: nothing else can issue from it. */
const caName = "vault-ca";
/** The CA certificate alone (ca.crt), for the ingress controller's backend verification. */
const caBundleSecret = "vault-ca-bundle";
const serversTransport = "vault-tls";

/** Every address a client of an HA Vault dials; the server certificate is issued for exactly their hosts. */
export interface VaultAddresses {
    /** The active node, through its Service: External Secrets, and the ingress controller's backend. */
    readonly active: string;
    /** Any node, through the main Service (a standby forwards to the active node). */
    readonly service: string;
    /** Each raft peer through the headless Service: `retry_join` leader addresses. */
    readonly peers: readonly string[];
    /** The in-pod CLI (the chart's VAULT_ADDR) and the readiness probe. */
    readonly local: string;
}

export function vaultAddresses(release: string, namespace: string, replicas: number): VaultAddresses {
    const https = (host: string) => `https://${host}:${vaultApiPort}`;
    return {
        active: https(`${release}-active.${namespace}.svc`),
        service: https(`${release}.${namespace}.svc`),
        peers: Array.from({ length: replicas }, (_, i) => https(`${release}-${i}.${release}-internal`)),
        local: https("127.0.0.1"),
    };
}

const hostOf = (address: string) => new URL(address).hostname;
const isIpv4 = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

/** The server certificate's subject alternative names: the hosts of every address, names and IPs apart. */
export function certificateNames(addresses: VaultAddresses): { dnsNames: string[]; ipAddresses: string[] } {
    const hosts = [...new Set([addresses.active, addresses.service, ...addresses.peers, addresses.local].map(hostOf))];
    return { dnsNames: hosts.filter((h) => !isIpv4(h)), ipAddresses: hosts.filter(isIpv4) };
}

/**
 * How the ingress controller reaches the active node over TLS, verifying it against the CA (in
 * the CA-only Secret) for its Service name. Traefik: the Service's scheme and a ServersTransport
 * (its kubernetes-crd provider); ingress-nginx: the Ingress's proxy-ssl annotations.
 */
export function ingressBackendTls(
    controller: IngressControllerName,
    namespace: string,
    activeHost: string,
): { serviceAnnotations: Record<string, string>; ingressAnnotations: Record<string, string>; serversTransport?: Values } {
    if (controller === "traefik") {
        return {
            serviceAnnotations: {
                "traefik.ingress.kubernetes.io/service.serversscheme": "https",
                // A ServersTransport is named <namespace>-<name>@kubernetescrd across providers.
                "traefik.ingress.kubernetes.io/service.serverstransport": `${namespace}-${serversTransport}@kubernetescrd`,
            },
            ingressAnnotations: {},
            serversTransport: { serverName: activeHost, rootCAs: [{ secret: caBundleSecret }] },
        };
    }
    return {
        serviceAnnotations: {},
        ingressAnnotations: {
            "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
            "nginx.ingress.kubernetes.io/proxy-ssl-secret": `${namespace}/${caBundleSecret}`,
            "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
            "nginx.ingress.kubernetes.io/proxy-ssl-name": activeHost,
            "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
        },
    };
}

export interface VaultTlsArgs {
    /** The tenancy layer's vault Namespace (its name as an output, so these objects wait for it). */
    readonly namespace: pulumi.Input<string>;
    /** The same namespace's name, for references inside annotations. */
    readonly namespaceName: string;
    readonly addresses: VaultAddresses;
    readonly provider: k8s.Provider;
    /** cert-manager's release: the Issuer and Certificate need its CRDs and webhook. */
    readonly certManager: pulumi.Resource;
    /** The ingress controller in front of Vault's public (or internal) host, which must trust the CA too. */
    readonly ingress: { readonly controller: IngressControllerName; readonly release: pulumi.Resource };
    readonly stack: string;
}

export class VaultTls extends pulumi.ComponentResource {
    /** PEM of the internal CA every client of Vault trusts. */
    readonly caCertificate: pulumi.Output<string>;
    /** Annotations of the Service the Ingress routes to (Traefik reads its backend TLS there). */
    readonly activeServiceAnnotations: Readonly<Record<string, string>>;
    /** Annotations of Vault's Ingress (ingress-nginx reads its backend TLS there). */
    readonly ingressAnnotations: Readonly<Record<string, string>>;
    /** The server certificate, ready once its Secret is issued: Vault's pods mount that Secret from their start. */
    readonly serverCertificate: k8s.apiextensions.CustomResource;

    constructor(name: string, args: VaultTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:VaultTls", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const afterCertManager = { ...child, dependsOn: [args.certManager] };

        const key = new PrivateKey(`${name}-ca`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        // Ten years, replaced (with the same key) in its last year: certificates it signed stay
        // valid under the new one, so no client breaks when Pulumi renews it.
        const ca = new SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: key.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: `Fawkes Vault CA (${args.stack})`, organization: "Fawkes" },
                validityPeriodHours: 24 * 365 * 10,
                earlyRenewalHours: 24 * 365,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            { parent: this },
        );
        this.caCertificate = ca.certPem;
        const caSecret = new k8s.core.v1.Secret(
            `${name}-ca`,
            { metadata: { name: caName, namespace: args.namespace }, type: "kubernetes.io/tls", stringData: { "tls.crt": ca.certPem, "tls.key": pulumi.secret(key.privateKeyPem) } },
            child,
        );
        new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: caName, namespace: args.namespace }, spec: { ca: { secretName: caSecret.metadata.name } } },
            afterCertManager,
        );
        this.serverCertificate = new k8s.apiextensions.CustomResource(
            `${name}-server`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                // pulumi-kubernetes waits for the Ready condition, which cert-manager sets once the Secret is written.
                metadata: { name: vaultTlsSecret, namespace: args.namespace, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
                spec: {
                    secretName: vaultTlsSecret,
                    issuerRef: { group: "cert-manager.io", kind: "Issuer", name: caName },
                    ...certificateNames(args.addresses),
                    // cert-manager renews a month before expiry; the sidecar makes Vault reload it.
                    duration: "2160h",
                    renewBefore: "720h",
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    usages: ["server auth", "digital signature"],
                },
            },
            afterCertManager,
        );

        // The ingress controller re-encrypts to Vault and verifies it against the CA alone.
        new k8s.core.v1.Secret(`${name}-ca-bundle`, { metadata: { name: caBundleSecret, namespace: args.namespace }, stringData: { "ca.crt": ca.certPem } }, child);
        const backend = ingressBackendTls(args.ingress.controller, args.namespaceName, hostOf(args.addresses.active));
        if (backend.serversTransport !== undefined) {
            new k8s.apiextensions.CustomResource(
                `${name}-servers-transport`,
                { apiVersion: "traefik.io/v1alpha1", kind: "ServersTransport", metadata: { name: serversTransport, namespace: args.namespace }, spec: backend.serversTransport },
                { ...child, dependsOn: [args.ingress.release] },
            );
        }
        this.activeServiceAnnotations = backend.serviceAnnotations;
        this.ingressAnnotations = backend.ingressAnnotations;
        this.registerOutputs({ caCertificate: this.caCertificate });
    }
}

/** The raft listener's TLS settings and the CLI's trust, as Vault and the chart take them. */
export const vaultTlsValues: Values = {
    global: { tlsDisable: false },
    server: {
        // Mounted read-only at vaultTlsDir in the server container (and shared with the sidecar).
        extraVolumes: [{ type: "secret", name: vaultTlsSecret }],
        // The in-pod CLI (`vault operator init`, the readiness probe) talks to https://127.0.0.1:8200.
        extraEnvironmentVars: { VAULT_CACERT: vaultTlsFiles.ca },
    },
};
