// The least privilege the Vault configuration layer (components/addons/vault-config.ts) needs,
// as the Vault policy an operator attaches to the `fawkes:vaultToken` of an HA stack. Every
// path is one the Terraform Vault provider (under @pulumi/vault) calls for the resources that
// layer declares, read from terraform-provider-vault's resource code; test/vault-tls.spec.ts
// checks it against those calls with a model of Vault's own path rules, both ways. It bounds
// mistakes, not a hostile holder: whoever may write a policy (eso-*) and a role binding it can
// grant themselves anything, so the token is kept like the root token it replaces.

import { kubernetesAuthPath, platformKvMount, readerNamePrefix } from "./vault-policies";

/** The policy's name in Vault (`vault policy write <name>`). */
export const vaultLayerPolicyName = "fawkes-vault-layer";


interface Rule {
    readonly path: string;
    readonly capabilities: readonly string[];
    /** Which calls need it, for the HCL comment. */
    readonly why: string;
}

const write = ["create", "update"] as const;

// The reader roles and policies are all named `eso-<app>…`: that prefix is all the layer may
// manage of them, so this token cannot rewrite another role or policy (`root` included).

const rules: readonly Rule[] = [
    // The provider looks its token up at its first call of every run; renew-self keeps a
    // periodic token alive (`vault token renew`, see the README).
    { path: "auth/token/lookup-self", capabilities: ["read"], why: "the provider checks its token" },
    { path: "auth/token/renew-self", capabilities: ["update"], why: "renewing the periodic token" },
    // vault_mount: GET/POST/DELETE sys/mounts/<path>, description changes through tune.
    { path: `sys/mounts/${platformKvMount}`, capabilities: [...write, "read", "delete"], why: "the KV v2 mount of the platform secrets" },
    { path: `sys/mounts/${platformKvMount}/tune`, capabilities: ["update"], why: "the mount's description" },
    // vault_auth_backend: enabling and disabling an auth method need sudo (Vault's API docs);
    // its tune is read (and written) through sys/mounts/auth/<path>/tune, which does not.
    { path: `sys/auth/${kubernetesAuthPath}`, capabilities: [...write, "read", "delete", "sudo"], why: "the Kubernetes auth method External Secrets logs in with" },
    { path: `sys/mounts/auth/${kubernetesAuthPath}/tune`, capabilities: ["read", "update"], why: "that auth method's tune, read back after every write" },
    // vault_kubernetes_auth_backend_config: written and read; deleting it calls nothing.
    { path: `auth/${kubernetesAuthPath}/config`, capabilities: [...write, "read"], why: "how Vault reviews service account tokens" },
    { path: `auth/${kubernetesAuthPath}/role/${readerNamePrefix}*`, capabilities: [...write, "read", "delete"], why: "each reading namespace's role" },
    { path: `sys/policies/acl/${readerNamePrefix}*`, capabilities: [...write, "read", "delete"], why: "each reading namespace's read policy" },
    // vault_kv_secret_v2: the data path, and its metadata read back (custom_metadata).
    { path: `${platformKvMount}/data/*`, capabilities: [...write, "read", "delete"], why: "the platform secrets" },
    { path: `${platformKvMount}/metadata/*`, capabilities: ["read"], why: "their metadata, read back after every write" },
];

const block = (r: Rule) => `# ${r.why}\npath "${r.path}" {\n  capabilities = [${r.capabilities.map((c) => `"${c}"`).join(", ")}]\n}\n`;

/** The policy's HCL, as `vault policy write fawkes-vault-layer -` takes it. */
export const vaultLayerPolicy: string = rules.map(block).join("\n");

/**
 * The token the README has an operator create once with the root token (then revoked): only
 * this policy (not even `default`), an orphan so revoking the root token keeps it, renewable
 * and periodic so it never reaches a max TTL. Vault caps a period at the token mount's max TTL
 * (768h by default), so it must be renewed within that: `vault token renew`.
 */
export const vaultLayerTokenCommand = `vault token create -orphan -no-default-policy -policy=${vaultLayerPolicyName} -period=768h -renewable=true -display-name=pulumi-vault-layer -field=token`;
