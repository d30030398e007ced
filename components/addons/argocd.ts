// Argo CD, ready to take over the rest of the platform: server behind the ingress with TLS
// from the cluster issuer, admin password from the generated secret (as bcrypt), HA
// settings with `ha`, and a health check for Application resources so an app-of-apps'
// sync waves wait for each child app to be healthy.

import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { addonRelease, type Values } from "./helm";

export interface ArgoCdArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    readonly ha: boolean;
    readonly host: string;
    readonly ingressClassName: string;
    readonly clusterIssuer: string;
    /** Extra Ingress annotations: the internal entrypoint, with fawkes:ingress.internal (IngressController.routeAnnotations). */
    readonly ingressAnnotations?: Readonly<Record<string, string>>;
    /** bcrypt hash of the admin password (secret). */
    readonly adminPasswordHash: pulumi.Output<string>;
    /** Notification services, templates, triggers and subscriptions (the chart ships none). */
    readonly notifications?: Values;
    /** known_hosts lines for an ssh repository, beside the ones Argo CD ships. */
    readonly sshKnownHosts: readonly string[];
}

/**
 * Argo CD stopped reporting health for Application resources in 1.8; without a check an
 * app-of-apps marks child apps healthy at once and sync waves do not wait. This Lua check
 * passes the child Application's own health through, Progressing until it has one.
 */
export const applicationHealthLua = `local health = { status = "Progressing", message = "" }
if obj.status ~= nil and obj.status.health ~= nil then
  health.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    health.message = obj.status.health.message
  end
end
return health
`;

/**
 * A fixed password mtime: left empty, the chart stamps the render time, so every upgrade
 * would look like a password change to Argo CD.
 */
const adminPasswordMtime = "2026-01-01T00:00:00Z";

export class ArgoCd extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:ArgoCd", name, {}, opts);
        const values = pulumi.secret(
            args.adminPasswordHash.apply(
                (hash): Values => ({
                    global: { domain: args.host },
                    // Single sign-on is not configured yet; Dex would only cost resources.
                    dex: { enabled: false },
                    configs: {
                        // TLS ends at the ingress controller.
                        params: { "server.insecure": true },
                        cm: {
                            "resource.customizations.health.argoproj.io_Application": applicationHealthLua,
                            // Argo CD deploys into this cluster only; no other cluster is registered.
                            "cluster.inClusterEnabled": "true",
                        },
                        secret: { argocdServerAdminPassword: hash, argocdServerAdminPasswordMtime: adminPasswordMtime },
                        // Appended to the chart's known hosts (GitHub, GitLab, Bitbucket, Azure DevOps).
                        ...(args.sshKnownHosts.length > 0 ? { ssh: { extraHosts: args.sshKnownHosts.join("\n") } } : {}),
                    },
                    server: {
                        ingress: {
                            enabled: true,
                            ingressClassName: args.ingressClassName,
                            hostname: args.host,
                            annotations: { ...args.ingressAnnotations, "cert-manager.io/cluster-issuer": args.clusterIssuer },
                            tls: true,
                        },
                    },
                    ...(args.notifications ? { notifications: args.notifications } : {}),
                    // The platform pool may have fewer nodes than redis-ha has replicas: spread, don't require.
                    // Its redis pods carry only app/release labels (argo-cd labels the haproxy ones itself).
                    ...(args.ha
                        ? { "redis-ha": { enabled: true, hardAntiAffinity: false, labels: { "app.kubernetes.io/name": "argocd-redis-ha" }, haproxy: { hardAntiAffinity: false } } }
                        : {}),
                }),
            ),
        );
        this.release = addonRelease(name, { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values }, { parent: this });
        this.registerOutputs({});
    }
}
