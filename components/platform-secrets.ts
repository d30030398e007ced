// Every credential the platform generates: random values, kept as Pulumi secrets, written
// into Vault KV by the Vault configuration layer and delivered to apps by External Secrets.

import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";

/** One generated value: its field name in the Vault secret and its length. */
interface FieldSpec {
    readonly field: string;
    readonly length: number;
}

/** A Vault KV secret under the platform mount, e.g. `argocd/admin`, and its generated fields. */
export interface SecretSpec {
    readonly path: string;
    readonly fields: readonly FieldSpec[];
    /** Fixed, non-secret fields stored beside the generated ones (e.g. a username). */
    readonly fixed?: Readonly<Record<string, string>>;
}

export const platformSecretSpecs: readonly SecretSpec[] = [
    { path: "argocd/admin", fixed: { username: "admin" }, fields: [{ field: "password", length: 24 }] },
    { path: "grafana/admin", fixed: { username: "admin" }, fields: [{ field: "password", length: 24 }] },
    { path: "backstage/backend", fields: [{ field: "secret", length: 48 }] },
    { path: "backstage/postgres", fixed: { username: "backstage" }, fields: [{ field: "password", length: 32 }] },
    { path: "sonarqube/admin", fixed: { username: "admin" }, fields: [{ field: "password", length: 24 }] },
    { path: "sonarqube/monitoring", fields: [{ field: "passcode", length: 32 }] },
    { path: "sonarqube/postgres", fixed: { username: "sonarqube" }, fields: [{ field: "password", length: 32 }] },
    // Harbor's core secretKey must be exactly 16 characters.
    { path: "harbor/admin", fixed: { username: "admin" }, fields: [{ field: "password", length: 24 }] },
    { path: "harbor/core", fields: [{ field: "secretKey", length: 16 }, { field: "csrfKey", length: 32 }] },
    { path: "harbor/database", fields: [{ field: "password", length: 32 }] },
    { path: "jenkins/admin", fixed: { username: "admin" }, fields: [{ field: "password", length: 24 }] },
    { path: "devlake/encryption", fields: [{ field: "secret", length: 32 }] },
    { path: "devlake/mysql", fixed: { username: "devlake" }, fields: [{ field: "password", length: 32 }, { field: "rootPassword", length: 32 }] },
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
            const data: Record<string, pulumi.Output<string>> = {};
            for (const [field, value] of Object.entries(spec.fixed ?? {})) {
                data[field] = pulumi.output(value);
            }
            for (const { field, length } of spec.fields) {
                // Letters and digits only: these values end up in URLs, env files and CLIs.
                const password = new RandomPassword(`${name}-${spec.path.replace("/", "-")}-${field}`, { length, special: false }, { parent: this });
                passwords.set(`${spec.path}#${field}`, password);
                data[field] = pulumi.secret(password.result);
            }
            return { path: spec.path, data };
        });
        this.argocdAdminPasswordHash = pulumi.secret(passwords.get("argocd/admin#password")!.bcryptHash);
        this.registerOutputs({});
    }
}
