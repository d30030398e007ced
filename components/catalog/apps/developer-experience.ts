// Developer experience: the portal developers start from, and an optional Git server.

import { platformPostgres } from "./data";
import { gitopsApp, ingressFor, issuerAnnotations, r, workload } from "../build";
import { giteaChart, giteaWorkload } from "../core";
import type { GitOpsApp } from "../types";

/** An env var read from a key of a Secret. */
const fromSecret = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

export function backstage(): GitOpsApp {
    return gitopsApp({
        name: "backstage",
        // backstage/charts tag backstage-2.8.2
        chart: { repo: "https://backstage.github.io/charts", name: "backstage", version: "2.8.2" },
        namespace: "backstage",
        pool: "platform",
        host: "backstage",
        group: "developer-experience",
        wave: 2,
        dependsOn: [platformPostgres.app],
        database: { name: "backstage", owner: "backstage", vaultPath: "backstage/postgres" },
        secrets: [{ name: "backstage-backend", vaultPath: "backstage/backend", keys: { BACKEND_SECRET: "secret" } }],
        workloads: [
            workload({ object: "backstage", container: "backstage-backend" }, "Deployment", 1, { resources: "backstage.resources", replicas: "backstage.replicas", placement: "backstage" }, r("100m", "512Mi"), r("1", "1Gi")),
        ],
        values: (ctx) => {
            const url = ctx.externalUrl("backstage");
            return {
                backstage: {
                    // The chart defaults to :latest, which the platform's Kyverno policy refuses. This is
                    // the upstream demo image at a release tag; a team builds and pins its own.
                    image: { registry: "ghcr.io", repository: "backstage/backstage", tag: "1.55.0", pullPolicy: "IfNotPresent" },
                    // Plugin database migrations must not run in two pods at once.
                    strategy: { type: "Recreate" },
                    // With appConfig set, the chart passes only this file: it is the whole configuration.
                    appConfig: {
                        app: { title: "Fawkes", baseUrl: url },
                        organization: { name: "Fawkes" },
                        backend: {
                            baseUrl: url,
                            cors: { origin: url },
                            // One database, a schema per plugin: the owner role needs no CREATEDB.
                            database: {
                                client: "pg",
                                pluginDivisionMode: "schema",
                                ensureSchemaExists: true,
                                connection: {
                                    host: "${POSTGRES_HOST}",
                                    port: "${POSTGRES_PORT}",
                                    user: "${POSTGRES_USER}",
                                    password: "${POSTGRES_PASSWORD}",
                                    database: "backstage",
                                },
                            },
                            // Automation (CI, DevLake) calls the API with this token.
                            auth: { externalAccess: [{ type: "static", options: { token: "${BACKEND_SECRET}", subject: "platform-automation" } }] },
                        },
                        // Guest sign-in only on a laptop cluster; elsewhere configure an identity provider.
                        auth: { providers: ctx.local ? { guest: { dangerouslyAllowOutsideDevelopment: true } } : {} },
                    },
                    extraEnvVars: [
                        { name: "POSTGRES_HOST", value: platformPostgres.host },
                        { name: "POSTGRES_PORT", value: String(platformPostgres.port) },
                        fromSecret("POSTGRES_USER", "backstage-postgres", "username"),
                        fromSecret("POSTGRES_PASSWORD", "backstage-postgres", "password"),
                        fromSecret("BACKEND_SECRET", "backstage-backend", "BACKEND_SECRET"),
                    ],
                    // The image runs as the `node` user by name; runAsNonRoot needs the number.
                    podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
                    containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
                ingress: {
                    enabled: true,
                    className: ctx.ingressClassName,
                    host: `backstage.${ctx.domain}`,
                    annotations: issuerAnnotations(ctx),
                    tls: { enabled: true, secretName: "backstage-tls" },
                },
                postgresql: { enabled: false },
            };
        },
    });
}

export function gitea(): GitOpsApp {
    return gitopsApp({
        name: "gitea",
        // The same chart as the local stacks' in-cluster Git server (core.ts); this one keeps its data in the platform's PostgreSQL.
        chart: giteaChart,
        namespace: "gitea",
        pool: "apps",
        host: "gitea",
        group: "developer-experience",
        wave: 2,
        enabledByDefault: false,
        dependsOn: [platformPostgres.app],
        database: { name: "gitea", owner: "gitea", vaultPath: "gitea/postgres" },
        secrets: [{ name: "gitea-admin", vaultPath: "gitea/admin", keys: { username: "username", password: "password" } }],
        login: { vaultPath: "gitea/admin" },
        workloads: [giteaWorkload("gitea", r("100m", "256Mi"), r("1", "1Gi"))],
        values: (ctx) => ({
            // The platform's PostgreSQL and in-memory cache and queues instead of the bundled Bitnami subcharts.
            postgresql: { enabled: false },
            "postgresql-ha": { enabled: false },
            "valkey-cluster": { enabled: false },
            valkey: { enabled: false },
            // One pod on a ReadWriteOnce volume: replace it rather than surge a second one.
            strategy: { type: "Recreate" },
            persistence: { enabled: true, size: "10Gi" },
            // The rootless image runs as uid 1000; the chart only sets fsGroup.
            podSecurityContext: { fsGroup: 1000, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
            gitea: {
                admin: { existingSecret: "gitea-admin", email: `gitea-admin@${ctx.domain}` },
                config: { database: { DB_TYPE: "postgres", HOST: `${platformPostgres.host}:${platformPostgres.port}`, NAME: "gitea", USER: "gitea" } },
                additionalConfigFromEnvs: [fromSecret("GITEA__DATABASE__PASSWD", "gitea-postgres", "password")],
            },
            ingress: {
                enabled: true,
                className: ctx.ingressClassName,
                annotations: issuerAnnotations(ctx),
                hosts: [{ host: `gitea.${ctx.domain}`, paths: [{ path: "/", pathType: "Prefix" }] }],
                tls: ingressFor(ctx, "gitea").tls,
            },
        }),
    });
}
