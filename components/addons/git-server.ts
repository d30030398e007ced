// The in-cluster Git server of a local stack: Gitea on SQLite with its own volume, its UI
// behind the ingress at git.<domain>, and one admin account whose password the program
// generates and keeps as a Kubernetes Secret (not in Vault: the server must work before
// anything reads Vault). The program pushes the stack's tree through the ingress; Argo CD
// reads it anonymously over the cluster network.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { gitServerAdmin, gitServerService } from "../gitops/git-source";
import { addonRelease, type Values } from "./helm";

export interface GitServerArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    readonly host: string;
    /** The server's external URL, with the stack's https port. */
    readonly url: string;
    readonly ingressClassName: string;
    readonly clusterIssuer: string;
}

/** The Secret the chart reads the admin login from (keys username, password). */
const adminSecretName = "git-admin";

export function gitServerValues(args: Pick<GitServerArgs, "host" | "url" | "ingressClassName" | "clusterIssuer">): Values {
    return {
        // Objects named after the app (git, git-http), not <release>-gitea.
        fullnameOverride: gitServerService.name.replace(/-http$/, ""),
        // SQLite on the pod's volume, sessions, cache and queues in process: no database or
        // Valkey to run, and nothing shared with what Argo CD deploys from this server.
        postgresql: { enabled: false },
        "postgresql-ha": { enabled: false },
        "valkey-cluster": { enabled: false },
        valkey: { enabled: false },
        // One pod on a ReadWriteOnce volume: replace it rather than surge a second one.
        strategy: { type: "Recreate" },
        persistence: { enabled: true, size: "2Gi", claimName: "git-data", annotations: {} },
        // The rootless image runs as uid 1000; the chart only sets fsGroup.
        podSecurityContext: { fsGroup: 1000, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
        gitea: {
            admin: { existingSecret: adminSecretName, email: `${gitServerAdmin}@${args.host}`, passwordMode: "keepUpdated" },
            config: {
                database: { DB_TYPE: "sqlite3" },
                session: { PROVIDER: "memory" },
                cache: { ADAPTER: "memory" },
                queue: { TYPE: "level" },
                server: { DOMAIN: args.host, ROOT_URL: `${args.url}/`, DISABLE_SSH: true },
                // Only the admin exists and only it can push; reading needs no account, so
                // Argo CD needs no credential (the tree holds no secret values).
                service: { DISABLE_REGISTRATION: true, REQUIRE_SIGNIN_VIEW: false },
                // The first push creates the repository: no API call before seeding.
                repository: { ENABLE_PUSH_CREATE_USER: true, DEFAULT_PUSH_CREATE_PRIVATE: false, DEFAULT_BRANCH: "main" },
            },
        },
        ingress: {
            enabled: true,
            className: args.ingressClassName,
            annotations: { "cert-manager.io/cluster-issuer": args.clusterIssuer },
            hosts: [{ host: args.host, paths: [{ path: "/", pathType: "Prefix" }] }],
            tls: [{ secretName: "git-tls", hosts: [args.host] }],
        },
    };
}

export class GitServer extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly username = gitServerAdmin;
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: GitServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:GitServer", name, {}, opts);
        const password = new RandomPassword(`${name}-admin`, { length: 24, special: false }, { parent: this });
        this.password = pulumi.secret(password.result);
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-admin`,
            { metadata: { name: adminSecretName, namespace: args.namespace }, type: "kubernetes.io/basic-auth", stringData: { username: gitServerAdmin, password: this.password } },
            { parent: this, provider: args.provider },
        );
        this.release = addonRelease(
            name,
            { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values: gitServerValues(args) },
            // The chart's init container creates the admin from the Secret.
            { parent: this, dependsOn: [adminSecret] },
        );
        this.registerOutputs({});
    }
}
