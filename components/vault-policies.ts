// Who may read which platform secret in Vault: one reader per app namespace, each with its
// own SecretStore, service account, Vault role and policy. The policy names exactly the KV
// paths the app's ExternalSecrets read (from the catalog), so an ExternalSecret in one
// namespace cannot read another app's secrets or the Argo CD admin credential. Pure: the
// Vault layer, External Secrets, the GitOps tree and the tests share it.

import { type AppValuesContext, type GitOpsApp, secretsOf } from "./catalog";

/** The KV v2 mount that holds every platform secret. */
export const platformKvMount = "platform";

/** The SecretStore every namespace that reads secrets has, under the same name. */
export const secretStoreName = "vault";

/** The service account External Secrets requests a token of, in each such namespace. */
export const secretReaderServiceAccount = "vault-secret-reader";

/**
 * The `aud` of the tokens the stores log in with, and the only one the Vault roles accept:
 * a pod's own service account token (audience: the API server) is refused by Vault.
 */
export const vaultAudience = "vault";

/** An app namespace that reads platform secrets, and the KV paths it reads (under the mount, e.g. `backstage/backend`). */
export interface SecretReader {
    readonly app: string;
    readonly namespace: string;
    readonly paths: readonly string[];
}

/** The Kubernetes auth mount the stores log in through. */
export const kubernetesAuthPath = "kubernetes";

/** What every reader's role and policy name starts with: all the Vault layer's token may manage of them. */
export const readerNamePrefix = "eso-";

/** The Vault role and policy of a reader; named after the app so a log or audit entry names it. */
export const readerRole = (app: string) => `${readerNamePrefix}${app}`;
export const readerPolicy = (app: string) => `${readerNamePrefix}${app}-read`;

/** The KV v2 API path a read of `path` goes to. */
export const dataPath = (path: string) => `${platformKvMount}/data/${path}`;

/**
 * The readers of a stack: every enabled Argo CD app that reads a secret (its own, its
 * database login, and for the database host each owner's login), plus the readers Pulumi
 * itself wires (Argo CD's admin and repository credentials). One per namespace.
 */
export function secretReaders(apps: readonly GitOpsApp[], ctx: AppValuesContext, core: readonly SecretReader[] = []): SecretReader[] {
    const fromCatalog = apps.map((app) => ({ app: app.name, namespace: app.namespace, paths: secretsOf(app, ctx).map((s) => s.vaultPath) }));
    const readers = [...core, ...fromCatalog]
        .map((r) => ({ ...r, paths: [...new Set(r.paths)].sort() }))
        .filter((r) => r.paths.length > 0)
        .sort((a, b) => a.app.localeCompare(b.app));
    const byNamespace = new Map<string, string>();
    for (const r of readers) {
        const other = byNamespace.get(r.namespace);
        if (other !== undefined) {
            // A store, a service account and a role per namespace: two apps there would share one policy.
            throw new Error(`apps ${other} and ${r.app} both read Vault secrets from namespace ${r.namespace}; each reader needs a namespace of its own`);
        }
        byNamespace.set(r.namespace, r.app);
        for (const p of r.paths) {
            // A glob or segment wildcard in a catalog path would widen the policy beyond the one secret.
            if (!/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)+$/.test(p)) {
                throw new Error(`${r.app} reads Vault path "${p}"; allowed: lower-case segments separated by "/", no "*" or "+"`);
            }
        }
    }
    return readers;
}

/**
 * The reader's Vault policy: `read` on exactly the KV v2 data path of each secret it reads.
 * No glob, not even `<app>/*`: several apps share a prefix's secrets (the database host reads
 * every `<app>/postgres`, DevLake reads `grafana/admin`), and exact paths keep a secret added
 * under a prefix unreadable until its reader is declared. No metadata or list: External
 * Secrets reads a key by name (`remoteRef.key`), it never lists or finds.
 */
export function policyDocument(reader: SecretReader): string {
    return reader.paths.map((p) => `path "${dataPath(p)}" {\n  capabilities = ["read"]\n}\n`).join("");
}
