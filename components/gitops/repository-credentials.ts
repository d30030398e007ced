// A private remote repository's read credentials (fawkes:gitops.credentials): a platform
// Vault secret, delivered by External Secrets as an Argo CD repository Secret. The values
// exist only as Pulumi secrets, in Vault and in that Secret; never in Git or in plaintext state.

import * as pulumi from "@pulumi/pulumi";
import type { RemoteGitSource } from "../config-types";
import type { GeneratedSecret } from "../platform-secrets";

/** The platform KV path that holds the repository credentials. */
export const repositoryVaultPath = "argocd/repository";

export interface RepositorySecret {
    /** What the Vault layer writes under repositoryVaultPath. */
    readonly vaultSecret: GeneratedSecret;
    /** The Kubernetes Secret in argocd, and its keys (key → property of the Vault secret). */
    readonly secretName: string;
    readonly fields: Readonly<Record<string, string>>;
    /** Argo CD picks up a Secret as a repository by this label. */
    readonly labels: Readonly<Record<string, string>>;
}

export function repositorySecret(repoURL: string, credentials: NonNullable<RemoteGitSource["credentials"]>): RepositorySecret {
    const keys = credentialKeys[credentials.kind];
    const data: Record<string, pulumi.Output<string>> = { url: pulumi.output(repoURL), type: pulumi.output("git") };
    for (const key of keys) {
        data[key] = pulumi.secret(credentials.fields.apply((f) => f[key]));
    }
    return {
        vaultSecret: { path: repositoryVaultPath, data },
        secretName: "fawkes-platform-repository",
        fields: Object.fromEntries(["url", "type", ...keys].map((k) => [k, k])),
        labels: { "argocd.argoproj.io/secret-type": "repository" },
    };
}

/** The Argo CD repository Secret keys of each credential form (argo-cd docs, declarative setup). */
const credentialKeys: Readonly<Record<NonNullable<RemoteGitSource["credentials"]>["kind"], readonly string[]>> = {
    token: ["username", "password"],
    "ssh-key": ["sshPrivateKey"],
    "github-app": ["githubAppID", "githubAppInstallationID", "githubAppPrivateKey"],
};
