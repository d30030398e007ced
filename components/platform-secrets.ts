// Every credential the platform generates: random values, kept as Pulumi secrets, written
// into Vault KV by the Vault configuration layer and delivered to apps by External Secrets.

import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import { PrivateKey } from "@pulumi/tls/privateKey";
import { SelfSignedCert } from "@pulumi/tls/selfSignedCert";

/** A random value: letters and digits of the given length, plus symbols where an app insists on them. */
interface RandomField {
    readonly field: string;
    readonly length: number;
    readonly symbols?: boolean;
}

/** The bcrypt hash of another random field of the same secret, for apps that take a hash (htpasswd lines get a `user:` prefix). */
interface BcryptField {
    readonly field: string;
    readonly bcryptOf: string;
    readonly prefix?: string;
}

type FieldSpec = RandomField | BcryptField;

/** A Vault KV secret under the platform mount, e.g. `argocd/admin`, and its generated fields. */
export interface SecretSpec {
    readonly path: string;
    readonly fields: readonly FieldSpec[];
    /** Fixed, non-secret fields stored beside the generated ones (e.g. a username). */
    readonly fixed?: Readonly<Record<string, string>>;
    /** A self-signed RSA key pair stored as fields `key` and `certificate` (PEM), e.g. a token-signing key. */
    readonly keyPair?: { readonly commonName: string };
}

const password = (length = 24): RandomField => ({ field: "password", length });
/** A login: a fixed user name and a generated password. */
const login = (username: string, length = 24) => ({ fixed: { username }, fields: [password(length)] });
/**
 * The login the ingress asks for in front of a UI without one of its own (catalog/ui-auth.ts):
 * a user name, a generated password and its htpasswd line (`user:` and the bcrypt hash).
 */
const basicAuthLogin = (username = "admin") => ({ fixed: { username }, fields: [password(), { field: "htpasswd", bcryptOf: "password", prefix: `${username}:` }] });

export const platformSecretSpecs: readonly SecretSpec[] = [
    { path: "argocd/admin", ...login("admin") },
    { path: "grafana/admin", ...login("admin") },
    { path: "backstage/backend", fields: [{ field: "secret", length: 48 }] },
    { path: "backstage/postgres", ...login("backstage", 32) },
    { path: "sonarqube/admin", ...login("admin") },
    { path: "sonarqube/monitoring", fields: [{ field: "passcode", length: 32 }] },
    { path: "sonarqube/postgres", ...login("sonarqube", 32) },
    { path: "harbor/admin", ...login("admin") },
    // Harbor wants its secretKey exactly 16 characters long, its CSRF key 32; the token service signs with an RSA key.
    {
        path: "harbor/core",
        fields: [
            { field: "secretKey", length: 16 },
            { field: "csrfKey", length: 32 },
            { field: "secret", length: 16 },
        ],
        keyPair: { commonName: "harbor-token-ca" },
    },
    { path: "harbor/jobservice", fields: [{ field: "secret", length: 16 }] },
    {
        path: "harbor/registry",
        fixed: { username: "harbor_registry_user" },
        fields: [{ field: "httpSecret", length: 16 }, password(32), { field: "htpasswd", bcryptOf: "password", prefix: "harbor_registry_user:" }],
    },
    { path: "harbor/postgres", ...login("harbor", 32) },
    { path: "jenkins/admin", ...login("admin") },
    { path: "devlake/encryption", fields: [{ field: "secret", length: 32 }] },
    // DevLake's config UI has no login of its own: the ingress asks for this one (an htpasswd line).
    { path: "devlake/admin", ...basicAuthLogin() },
    { path: "devlake/mysql", fixed: { username: "devlake" }, fields: [password(32), { field: "rootPassword", length: 32 }] },
    // Optional apps' credentials exist whether or not the app is switched on, so switching is one line.
    { path: "keycloak/admin", ...login("admin") },
    { path: "keycloak/postgres", ...login("keycloak", 32) },
    // Gitea refuses the user name "admin".
    { path: "gitea/admin", ...login("gitea-admin") },
    { path: "gitea/postgres", ...login("gitea", 32) },
    // OpenSearch refuses an initial admin password without upper and lower case, a digit and a symbol.
    { path: "opensearch/admin", fixed: { username: "admin" }, fields: [{ ...password(), symbols: true }, { field: "cookie", length: 32 }] },
    { path: "kargo/admin", fields: [password(), { field: "passwordHash", bcryptOf: "password" }, { field: "tokenSigningKey", length: 48 }] },
    { path: "minio/root", fixed: { username: "fawkes-root" }, fields: [password(32)] },
    // Thanos' query UI and Pyroscope's UI have no login of their own either.
    { path: "thanos/admin", ...basicAuthLogin() },
    { path: "pyroscope/admin", ...basicAuthLogin() },
];

export interface GeneratedSecret {
    readonly path: string;
    /** Field name → value; every generated value is a secret output. */
    readonly data: Readonly<Record<string, pulumi.Output<string>>>;
}

export class PlatformSecrets extends pulumi.ComponentResource {
    readonly secrets: readonly GeneratedSecret[];
    /** bcrypt hash of the Argo CD admin password, as argocd-secret expects it. */
    readonly argocdAdminPasswordHash: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:secrets:PlatformSecrets", name, {}, opts);
        const passwords = new Map<string, RandomPassword>();
        this.secrets = platformSecretSpecs.map((spec) => {
            const resourceName = `${name}-${spec.path.replace("/", "-")}`;
            const data: Record<string, pulumi.Output<string>> = {};
            for (const [field, value] of Object.entries(spec.fixed ?? {})) {
                data[field] = pulumi.output(value);
            }
            for (const f of spec.fields) {
                if ("length" in f) {
                    // Letters and digits by default: these values end up in URLs, env files and CLIs.
                    // Symbols, where required, come from a set that needs no quoting in those places.
                    const charset = f.symbols ? { special: true, overrideSpecial: "-_=+.", minSpecial: 1, minUpper: 1, minLower: 1, minNumeric: 1 } : { special: false };
                    const random = new RandomPassword(`${resourceName}-${f.field}`, { length: f.length, ...charset }, { parent: this });
                    passwords.set(`${spec.path}#${f.field}`, random);
                    data[f.field] = pulumi.secret(random.result);
                }
            }
            for (const f of spec.fields) {
                if ("bcryptOf" in f) {
                    // RandomPassword keeps its bcrypt hash in state, so the hash is stable across runs.
                    const hash = passwords.get(`${spec.path}#${f.bcryptOf}`)!.bcryptHash;
                    data[f.field] = pulumi.secret(pulumi.interpolate`${f.prefix ?? ""}${hash}`);
                }
            }
            if (spec.keyPair) {
                const key = new PrivateKey(resourceName, { algorithm: "RSA", rsaBits: 4096 }, { parent: this });
                const cert = new SelfSignedCert(
                    resourceName,
                    { privateKeyPem: key.privateKeyPem, subject: { commonName: spec.keyPair.commonName }, validityPeriodHours: 24 * 365 * 10, allowedUses: ["digital_signature", "key_encipherment"] },
                    { parent: this },
                );
                data.key = pulumi.secret(key.privateKeyPem);
                data.certificate = cert.certPem;
            }
            return { path: spec.path, data };
        });
        this.argocdAdminPasswordHash = pulumi.secret(passwords.get("argocd/admin#password")!.bcryptHash);
        this.registerOutputs({});
    }
}
