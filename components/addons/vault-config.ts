// Configures the platform's Vault through its API: a KV v2 mount for platform secrets,
// Kubernetes auth, a read-only policy and role per app namespace that reads secrets (exactly
// its own paths, bound to that namespace's reader service account and the Vault audience),
// and every generated platform secret written into the mount. The provider reaches Vault
// through the Kubernetes API server (vault-api-proxy.ts); on ha stacks it authenticates with
// the operator's token, which needs only the policy in components/vault-layer-policy.ts.

import * as pulumi from "@pulumi/pulumi";
import { AuthBackend } from "@pulumi/vault/authBackend";
import { AuthBackendConfig } from "@pulumi/vault/kubernetes/authBackendConfig";
import { AuthBackendRole } from "@pulumi/vault/kubernetes/authBackendRole";
import { SecretV2 } from "@pulumi/vault/kv/secretV2";
import { Mount } from "@pulumi/vault/mount";
import { Policy } from "@pulumi/vault/policy";
import { Provider as VaultProvider } from "@pulumi/vault/provider";
import type { GeneratedSecret } from "../platform-secrets";
import { kubernetesAuthPath, platformKvMount, policyDocument, readerPolicy, readerRole, secretReaderServiceAccount, type SecretReader, vaultAudience } from "../vault-policies";
import type { VaultConnection } from "./vault-api-proxy";

/** Where platform secrets live in Vault and how External Secrets reaches them. */
export const vaultLayout = {
    kvMount: platformKvMount,
    kubernetesAuthPath,
} as const;

/** The Vault server version the chart pin runs (hashicorp/vault:2.0.4 in the render of vault 0.34.1). */
export const vaultVersion = "2.0.4";

export interface VaultConfigArgs {
    /** Vault through the API server's service proxy: address, the proxy account's bearer token, the API server's CA file. */
    readonly connection: VaultConnection;
    readonly token: pulumi.Input<string>;
    /** Resources that must exist before Vault answers through that path (its release, the proxy's RoleBinding). */
    readonly reachableAfter: pulumi.Resource[];
    /** The app namespaces that read platform secrets, and what each reads. */
    readonly readers: readonly SecretReader[];
    readonly secrets: readonly GeneratedSecret[];
}

export class VaultConfig extends pulumi.ComponentResource {
    /** Each reader's Vault role, by app: its SecretStore waits for it. */
    readonly roles: ReadonlyMap<string, AuthBackendRole>;

    constructor(name: string, args: VaultConfigArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:VaultConfig", name, {}, opts);
        const provider = new VaultProvider(
            name,
            // No child token: a dev root token or an operator token is used as given, and the
            // provider never writes a token of its own into state. No version lookup either:
            // configuring the provider makes no call, so a destroy works after the cluster is gone.
            // The client is created at the first resource call, which reads caCertFile then.
            {
                address: args.connection.address,
                headers: args.connection.headers,
                caCertFile: args.connection.caCertFile,
                token: pulumi.secret(args.token),
                skipTlsVerify: false,
                skipChildToken: true,
                skipGetVaultVersion: true,
                vaultVersionOverride: vaultVersion,
            },
            { parent: this, dependsOn: args.reachableAfter },
        );
        const child = { parent: this, provider };

        const kv = new Mount(name, { path: vaultLayout.kvMount, type: "kv", options: { version: "2" }, description: "Fawkes platform secrets" }, child);
        const auth = new AuthBackend(name, { type: "kubernetes", path: vaultLayout.kubernetesAuthPath }, child);
        // Vault runs in the cluster, so it reviews tokens with its own service account.
        new AuthBackendConfig(name, { backend: auth.path, kubernetesHost: "https://kubernetes.default.svc" }, child);
        const roles = new Map<string, AuthBackendRole>();
        for (const reader of args.readers) {
            const policy = new Policy(`${name}-${reader.app}`, { name: readerPolicy(reader.app), policy: policyDocument(reader) }, child);
            roles.set(
                reader.app,
                new AuthBackendRole(
                    `${name}-${reader.app}`,
                    {
                        backend: auth.path,
                        roleName: readerRole(reader.app),
                        // Only this namespace's reader account, and only tokens minted for Vault: a token
                        // another namespace (or a pod's own mounted token) presents does not log in.
                        boundServiceAccountNames: [secretReaderServiceAccount],
                        boundServiceAccountNamespaces: [reader.namespace],
                        audience: vaultAudience,
                        tokenPolicies: [policy.name],
                        tokenTtl: 3600,
                    },
                    child,
                ),
            );
        }
        this.roles = roles;
        for (const secret of args.secrets) {
            new SecretV2(
                `${name}-${secret.path.replace("/", "-")}`,
                { mount: kv.path, name: secret.path, dataJson: pulumi.secret(pulumi.output(secret.data).apply((data) => JSON.stringify(data))) },
                child,
            );
        }
        this.registerOutputs({});
    }
}
