// Wires the layers of the platform together: cluster → tenancy → core add-ons (in parallel
// wherever they do not need each other) → Vault configuration and the resources that use
// CRDs, each after exactly what it needs.

import * as pulumi from "@pulumi/pulumi";
import { ArgoCd } from "./addons/argocd";
import { CertManager } from "./addons/cert-manager";
import { ExternalSecrets } from "./addons/external-secrets";
import { IngressController } from "./addons/ingress";
import { Kyverno } from "./addons/kyverno";
import { Vault } from "./addons/vault";
import { VaultConfig } from "./addons/vault-config";
import { type CatalogApp, stackCatalog } from "./catalog";
import { createCluster, type NodePool, type PlatformCluster } from "./cluster";
import type { PlatformConfig } from "./config-types";
import { doraNotifications } from "./gitops/dora";
import { RootApp } from "./gitops/root-app";
import { PlatformSecrets } from "./platform-secrets";
import { AppTenancy } from "./tenancy";

export interface Platform {
    readonly cluster: PlatformCluster;
    readonly apps: readonly CatalogApp[];
    /** https URLs of the platform's UIs, by app. */
    readonly urls: Readonly<Record<string, string>>;
    readonly clusterIssuer: string;
    readonly ingressClassName: string;
    readonly caCertificate?: pulumi.Output<string>;
    readonly vaultRootToken?: pulumi.Output<string>;
}

export function buildPlatform(config: PlatformConfig): Platform {
    for (const warning of config.warnings) {
        void pulumi.log.warn(warning);
    }
    // The tenancy layer also owns the namespaces of the apps Argo CD runs.
    const apps: CatalogApp[] = stackCatalog(config);
    const cluster = createCluster({ config: config.cluster, protectStateful: config.ha, ha: config.ha, dockerHubCredentials: config.dockerHubCredentials, apps: apps.map((a) => a.name) });
    const { provider } = cluster;
    const app = (name: string) => apps.find((a) => a.name === name)!;
    // config.ts has checked that every pool the catalog names exists.
    const poolOf = (a: CatalogApp): NodePool => cluster.pools.find((p) => p.name === a.pool)!;
    const clusterNodes = cluster.pools.reduce((n, p) => n + p.count, 0);
    const namespaces = new Map(apps.map((a) => [a.name, new AppTenancy(a.name, { app: a, nodes: { pool: poolOf(a).count, cluster: clusterNodes }, provider }).namespace]));
    const place = (a: CatalogApp) => ({ app: a, namespace: namespaces.get(a.name)!, pool: poolOf(a), provider });
    const host = (sub: string) => `${sub}.${config.domain}`;

    const ingressApp = apps.find((a) => a.name === config.ingress.controller)!;
    const ingress = new IngressController("ingress", {
        ...place(ingressApp),
        controller: config.ingress.controller,
        exposure: config.cluster.provider === "kind" ? "hostPort" : "loadBalancer",
    });
    const certManager = new CertManager("cert-manager", {
        ...place(app("cert-manager")),
        issuer: config.tls.issuer,
        email: config.tls.email,
        ingressClassName: ingress.className,
        stack: config.stack,
    });
    const tls = { ingressClassName: ingress.className, clusterIssuer: certManager.issuerName };

    const secrets = new PlatformSecrets("platform-secrets");
    const vault = new Vault("vault", {
        ...place(app("vault")),
        ...tls,
        ha: config.ha,
        cloud: cluster.cloud,
        host: host(app("vault").host!),
        clusterName: config.cluster.name,
    });
    const esoApp = app("external-secrets");
    const vaultToken = config.ha ? config.vaultToken : vault.devRootToken;
    let vaultConfig: VaultConfig | undefined;
    if (vaultToken === undefined) {
        void pulumi.log.warn(
            "fawkes:vaultToken is not set, so the Vault configuration layer (KV mount, Kubernetes auth, External Secrets role, " +
                "platform secrets) is skipped. Initialise Vault once and set the token as described in the README under " +
                "'HA Vault: one-time init'; everything else is deployed.",
        );
    } else {
        vaultConfig = new VaultConfig("vault-config", {
            address: `https://${host(app("vault").host!)}`,
            token: vaultToken,
            skipTlsVerify: config.tls.issuer === "local-ca",
            reachableAfter: [vault.release, ingress.release],
            externalSecretsServiceAccount: { name: esoApp.name, namespace: esoApp.namespace },
            secrets: secrets.secrets,
        });
    }
    const externalSecrets = new ExternalSecrets("external-secrets", {
        ...place(esoApp),
        vaultAddress: vault.internalAddress,
        vaultRole: vaultConfig?.role,
    });
    new Kyverno("kyverno", { ...place(app("kyverno")), apps });
    const argoApp = app("argo-cd");
    const devlake = apps.find((a) => a.name === "devlake");
    const argoCd = new ArgoCd("argo-cd", {
        ...place(argoApp),
        ...tls,
        ha: config.ha,
        host: host(argoApp.host!),
        adminPasswordHash: secrets.argocdAdminPasswordHash,
        // DORA: every sync and every degraded app goes to DevLake, when the stack runs it.
        notifications: devlake ? doraNotifications(devlake) : undefined,
    });
    // The first consumer of the store: the Argo CD admin credentials, for people and automation.
    externalSecrets.externalSecret(
        "argocd-admin",
        { namespace: namespaces.get(argoApp.name)!, secretName: "argocd-admin-credentials", vaultPath: "argocd/admin", fields: { username: "username", password: "password" } },
        { parent: externalSecrets, provider },
    );

    new RootApp("root-app", { config, provider, argoCd: argoCd.release, externalSecrets: externalSecrets.release });

    return {
        cluster,
        apps,
        // Every app with a UI, core or run by Argo CD, from the catalog.
        urls: Object.fromEntries(apps.filter((a) => a.host !== undefined).map((a) => [a.name, `https://${host(a.host!)}`])),
        clusterIssuer: certManager.issuerName,
        ingressClassName: ingress.className,
        caCertificate: certManager.caCertificate,
        vaultRootToken: vault.devRootToken,
    };
}
