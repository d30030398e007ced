// Wires the layers of the platform together: cluster → tenancy → core add-ons (in parallel
// wherever they do not need each other) → Vault configuration and the resources that use
// CRDs, each after exactly what it needs → on a local stack the in-cluster Git server and its
// seeded tree → the root app-of-apps → a wait until Argo CD reports every app synced and healthy.

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { ArgoCd } from "./addons/argocd";
import { CertManager } from "./addons/cert-manager";
import { ExternalDns } from "./addons/external-dns";
import { ExternalSecrets } from "./addons/external-secrets";
import { GitServer } from "./addons/git-server";
import { IngressController } from "./addons/ingress";
import { Kyverno } from "./addons/kyverno";
import { Vault } from "./addons/vault";
import { VaultApiProxy } from "./addons/vault-api-proxy";
import { VaultConfig } from "./addons/vault-config";
import { poolDemand } from "./budget";
import { type CatalogApp, enabledGitopsApps, stackCatalog } from "./catalog";
import { createCluster, type NodePool, type PlatformCluster } from "./cluster";
import type { PlatformConfig } from "./config-types";
import { ConfigMapReaders } from "./config-map-readers";
import { type AppCredential, platformCredentials } from "./credentials";
import { deletedWith } from "./deleted-with";
import { type DnsRecords, dnsRecords } from "./dns-records";
import { doraNotifications } from "./gitops/dora";
import { GitSeed } from "./gitops/git-seed";
import { seededRepository } from "./gitops/git-source";
import { repositorySecret, repositoryVaultPath } from "./gitops/repository-credentials";
import { rootAppName, valuesContext } from "./gitops/manifests";
import { RootApp } from "./gitops/root-app";
import { ArgoCdSyncWait } from "./gitops/sync-wait";
import { assertCommittedTreeCurrent, treeFiles } from "./gitops/tree-files";
import { argoCdNamespace } from "./names";
import { PlatformSecrets } from "./platform-secrets";
import { AppTenancy } from "./tenancy";
import { secretReaders } from "./vault-policies";
import { externalUrl, httpsPort } from "./urls";

export interface Platform {
    readonly cluster: PlatformCluster;
    readonly apps: readonly CatalogApp[];
    /** https URLs of the platform's UIs, by app. */
    readonly urls: Readonly<Record<string, string>>;
    /** Every login of the platform, by app (secret). */
    readonly credentials: pulumi.Output<Record<string, AppCredential>>;
    readonly clusterIssuer: string;
    readonly ingressClassName: string;
    readonly caCertificate?: pulumi.Output<string>;
    readonly vaultRootToken?: pulumi.Output<string>;
    /** The commit Argo CD syncs the root app at (the seeded one on a local stack). */
    readonly gitRevision: pulumi.Output<string>;
    /** Who keeps the platform's DNS records, and the records a team creates itself. */
    readonly dns: DnsRecords;
}

export function buildPlatform(config: PlatformConfig): Platform {
    for (const warning of config.warnings) {
        void pulumi.log.warn(warning);
    }
    // Before anything is registered: a remote stack must not sync a stale tree.
    assertCommittedTreeCurrent(config);
    // The tenancy layer also owns the namespaces of the apps Argo CD runs.
    const apps: CatalogApp[] = stackCatalog(config);
    const demand = [...poolDemand(apps, [...config.cluster.pools, ...(config.cluster.provider === "kind" ? [{ name: "control-plane", count: 1 }] : [])]).values()];
    const cluster = createCluster({
        config: config.cluster,
        protectStateful: config.ha,
        ha: config.ha,
        dockerHubCredentials: config.dockerHubCredentials,
        apps: apps.map((a) => a.name),
        steadyStateRequests: { cpuMillicores: demand.reduce((n, d) => n + d.requests.cpu, 0), memoryBytes: demand.reduce((n, d) => n + d.requests.memory, 0) },
    });
    const { provider } = cluster;
    // On kind every in-cluster resource goes with the cluster: `pulumi destroy` deletes one container.
    const inCluster: pulumi.ComponentResourceOptions = deletedWith(cluster.deletionAnchor);
    const app = (name: string) => apps.find((a) => a.name === name)!;
    // config.ts has checked that every pool the catalog names exists.
    const poolOf = (a: CatalogApp): NodePool => cluster.pools.find((p) => p.name === a.pool)!;
    const clusterNodes = cluster.pools.reduce((n, p) => n + p.count, 0);
    const namespaces = new Map(apps.map((a) => [a.name, new AppTenancy(a.name, { app: a, nodes: { pool: poolOf(a).count, cluster: clusterNodes }, provider }, inCluster).namespace]));
    const place = (a: CatalogApp) => ({ app: a, namespace: namespaces.get(a.name)!, pool: poolOf(a), provider });
    const host = (sub: string) => `${sub}.${config.domain}`;

    const ingressApp = apps.find((a) => a.name === config.ingress.controller)!;
    const ingress = new IngressController(
        "ingress",
        {
            ...place(ingressApp),
            controller: config.ingress.controller,
            exposure: config.cluster.provider === "kind" ? "hostPort" : "loadBalancer",
            issuer: config.tls.issuer,
            httpsPort: httpsPort(config),
            cluster: config.cluster.provider,
            internal: config.ingress.internal,
        },
        inCluster,
    );
    const certManager = new CertManager(
        "cert-manager",
        {
            ...place(app("cert-manager")),
            issuer: config.tls.issuer,
            email: config.tls.email,
            ingressClassName: ingress.className,
            stack: config.stack,
            solver: config.tls.solver,
            dns: config.dns,
            cloud: cluster.cloud,
            domain: config.domain,
        },
        inCluster,
    );
    // fawkes:dns: external-dns keeps the platform's records, except those of the hosts only the
    // internal load balancer serves; without it the stack outputs the record(s) to create.
    const internalHosts = (config.ingress.internal?.apps ?? []).map((a) => host(app(a).host!));
    if (config.dns !== undefined) {
        new ExternalDns(
            "external-dns",
            { ...place(app("external-dns")), cloud: cluster.cloud, dns: config.dns, domain: config.domain, ingressClassName: ingress.className, excludedHosts: internalHosts },
            inCluster,
        );
    }
    const dns = dnsRecords(config, { ingressApp, internalHosts });
    const tls = { ingressClassName: ingress.className, clusterIssuer: certManager.issuerName };

    const secrets = new PlatformSecrets("platform-secrets");
    const vault = new Vault(
        "vault",
        {
            ...place(app("vault")),
            ...tls,
            ha: config.ha,
            cloud: cluster.cloud,
            host: host(app("vault").host!),
            clusterName: config.cluster.name,
            stack: config.stack,
            ingressAnnotations: ingress.routeAnnotations("vault"),
            tls: { certManager: certManager.release, ingress: { controller: config.ingress.controller, release: ingress.release } },
        },
        inCluster,
    );
    const esoApp = app("external-secrets");
    const vaultToken = config.ha ? config.vaultToken : vault.devRootToken;
    const remote = config.gitops.source === "remote" ? config.gitops : undefined;
    const repositoryCredentials = remote?.credentials ? repositorySecret(remote.repoURL, remote.credentials) : undefined;
    const argoApp = app("argo-cd");
    // One Vault reader per app namespace; Argo CD's admin and repository credentials are readable from argocd only.
    const argoCdReads = { admin: "argocd/admin", repository: repositoryCredentials ? repositoryVaultPath : undefined };
    const readers = secretReaders(enabledGitopsApps(config.apps), valuesContext(config), [
        { app: argoApp.name, namespace: argoApp.namespace, paths: Object.values(argoCdReads).filter((p) => p !== undefined) },
    ]);
    let vaultConfig: VaultConfig | undefined;
    if (vaultToken === undefined) {
        void pulumi.log.warn(
            "fawkes:vaultToken is not set, so the Vault configuration layer (KV mount, Kubernetes auth, External Secrets role, " +
                "platform secrets) is skipped. Initialise Vault once and set the token as described in the README under " +
                "'HA Vault: one-time init'; everything else is deployed. Until then the apps cannot read their secrets" +
                (repositoryCredentials ? ", Argo CD cannot read the private repository fawkes:gitops.credentials is for," : "") +
                " and `pulumi up` does not wait for Argo CD to sync.",
        );
    } else {
        // Through the API server's service proxy: the path this run reaches the cluster by anyway.
        const vaultProxy = new VaultApiProxy(
            "vault-api-proxy",
            { service: vault.apiService, namespace: namespaces.get(app("vault").name)!, kubeconfig: cluster.kubeconfig, stack: config.stack, provider },
            inCluster,
        );
        vaultConfig = new VaultConfig(
            "vault-config",
            {
                connection: vaultProxy.connection,
                token: vaultToken,
                reachableAfter: [vault.release, vaultProxy.grant],
                readers,
                secrets: [...secrets.secrets, ...(repositoryCredentials ? [repositoryCredentials.vaultSecret] : [])],
            },
            inCluster,
        );
    }
    const externalSecrets = new ExternalSecrets(
        "external-secrets",
        { ...place(esoApp), vaultAddress: vault.internalAddress, vaultCaCertificate: vault.caCertificate, readers, namespaces, vaultRoles: vaultConfig?.roles },
        inCluster,
    );
    new Kyverno("kyverno", { ...place(app("kyverno")), apps, domain: config.domain }, inCluster);
    // Cross-namespace ConfigMap reads the catalog declares (Grafana → kube-prometheus-stack's dashboards).
    const byNamespace = new Map(apps.map((a) => [a.namespace, namespaces.get(a.name)!]));
    for (const reader of enabledGitopsApps(config.apps).filter((a) => (a.configMapReads ?? []).length > 0)) {
        new ConfigMapReaders(`${reader.name}-configmap-reads`, { app: reader, namespaces: byNamespace, provider }, inCluster);
    }
    const devlake = apps.find((a) => a.name === "devlake");
    const argoCd = new ArgoCd(
        "argo-cd",
        {
            ...place(argoApp),
            ...tls,
            ha: config.ha,
            host: host(argoApp.host!),
            ingressAnnotations: ingress.routeAnnotations("argo-cd"),
            adminPasswordHash: secrets.argocdAdminPasswordHash,
            // DORA: every sync and every degraded app goes to DevLake, when the stack runs it.
            notifications: devlake ? doraNotifications(devlake) : undefined,
            sshKnownHosts: remote?.sshKnownHosts ?? [],
        },
        inCluster,
    );
    const esoChild = { ...inCluster, parent: externalSecrets, provider };
    // The first consumer of argocd's store: the Argo CD admin credentials, for people and automation.
    externalSecrets.externalSecret(
        "argocd-admin",
        { app: argoApp.name, namespace: namespaces.get(argoApp.name)!, secretName: "argocd-admin-credentials", vaultPath: argoCdReads.admin, fields: { username: "username", password: "password" } },
        esoChild,
    );
    // A private remote repository: its credentials reach Argo CD only through Vault.
    const repositoryReadable = repositoryCredentials
        ? [
              externalSecrets.externalSecret(
                  "argocd-repository",
                  { app: argoApp.name, namespace: namespaces.get(argoApp.name)!, secretName: repositoryCredentials.secretName, vaultPath: repositoryVaultPath, fields: repositoryCredentials.fields, labels: repositoryCredentials.labels },
                  esoChild,
              ),
          ]
        : [];

    // A local stack: the Git server in the cluster, and the tree pushed to it through the ingress.
    let gitServer: GitServer | undefined;
    let revision: pulumi.Output<string>;
    if (config.gitops.source === "in-cluster") {
        const gitApp = app("git");
        gitServer = new GitServer("git", { ...place(gitApp), ...tls, host: host(gitApp.host!), url: externalUrl(config, gitApp.host!) }, inCluster);
        const seed = new GitSeed(
            "git-seed",
            {
                url: `${externalUrl(config, gitApp.host!)}/${seededRepository.owner}/${seededRepository.name}.git`,
                branch: config.gitops.targetRevision,
                username: gitServer.username,
                password: gitServer.password,
                files: Object.fromEntries(treeFiles(config)),
                author: { name: "Fawkes platform", email: `${gitServer.username}@${host(gitApp.host!)}` },
                message: `Platform tree of stack ${config.stack}, generated by pulumi up`,
                caCertificate: certManager.caCertificate,
                // A new cluster (a new kubeconfig) has an empty server: seed it again.
                target: cluster.kubeconfig.apply((k) => createHash("sha256").update(k ?? "").digest("hex")),
            },
            // The server, its ingress route and its certificate's issuer must exist before a push can land.
            { ...inCluster, dependsOn: [gitServer.release, ingress.release, ...certManager.issuers] },
        );
        revision = seed.commit;
    } else {
        revision = pulumi.output(config.gitops.targetRevision);
    }

    const rootApp = new RootApp(
        "root-app",
        { config, provider, argoCd: argoCd.release, externalSecrets: externalSecrets.release, targetRevision: revision, repositoryCredentials: repositoryReadable },
        inCluster,
    );
    // `pulumi up` ends when Argo CD has synced the tree and every app is healthy. Without
    // the Vault layer nothing can become healthy yet, so there is nothing to wait for.
    if (vaultConfig !== undefined) {
        new ArgoCdSyncWait(
            "platform-sync",
            {
                kubeconfig: cluster.kubeconfig,
                namespace: argoCdNamespace,
                rootApp: rootAppName,
                // A remote branch moves on its own: only a seeded commit is known exactly.
                revision: config.gitops.source === "in-cluster" ? revision : undefined,
                apps: enabledGitopsApps(config.apps).map((a) => a.name),
                timeoutSeconds: config.gitops.syncTimeoutSeconds,
            },
            { ...inCluster, dependsOn: [rootApp.application, vaultConfig] },
        );
    }

    const urls = Object.fromEntries(apps.filter((a) => a.host !== undefined).map((a) => [a.name, externalUrl(config, a.host!)]));
    return {
        cluster,
        apps,
        // Every app with a UI, core or run by Argo CD, from the catalog.
        urls,
        credentials: platformCredentials({ apps, urls, secrets: secrets.secrets, gitServer }),
        clusterIssuer: certManager.issuerName,
        ingressClassName: ingress.className,
        caCertificate: certManager.caCertificate,
        vaultRootToken: vault.devRootToken,
        gitRevision: revision,
        dns,
    };
}
