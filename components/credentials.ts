// The `credentials` stack output: one place for every login of the platform, app → URL, user
// name and password, built from the same generated secrets the apps themselves read.

import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "./catalog";
import type { GeneratedSecret } from "./platform-secrets";

export interface AppCredential {
    readonly url: string;
    readonly username: string;
    readonly password: string;
}

export interface CredentialSources {
    readonly apps: readonly CatalogApp[];
    readonly urls: Readonly<Record<string, string>>;
    readonly secrets: readonly GeneratedSecret[];
    /** The in-cluster Git server's admin, whose login is not a platform Vault secret. */
    readonly gitServer?: { readonly username: string; readonly password: pulumi.Output<string> };
}

/** Every app of the stack that has a login and a URL; the whole output is secret. */
export function platformCredentials(sources: CredentialSources): pulumi.Output<Record<string, AppCredential>> {
    const entries = sources.apps
        .filter((app) => app.login !== undefined && sources.urls[app.name] !== undefined)
        .map((app): [string, pulumi.Output<AppCredential>] => {
            const login = app.login!;
            const url = sources.urls[app.name];
            if (app.name === "git") {
                if (sources.gitServer === undefined) {
                    throw new Error("the git app runs, but the program created no Git server for it");
                }
                return [app.name, pulumi.all([sources.gitServer.password]).apply(([password]) => ({ url, username: sources.gitServer!.username, password }))];
            }
            const secret = sources.secrets.find((s) => s.path === login.vaultPath);
            if (secret === undefined || secret.data.password === undefined || (login.username === undefined && secret.data.username === undefined)) {
                // The catalog names a login the generated secrets do not hold: a programming error.
                throw new Error(`${app.name}'s login is ${login.vaultPath}, which is not a generated secret with a username and a password`);
            }
            const username = login.username !== undefined ? pulumi.output(login.username) : secret.data.username;
            return [app.name, pulumi.all([username, secret.data.password]).apply(([user, password]) => ({ url, username: user, password }))];
        });
    return pulumi.secret(pulumi.all(Object.fromEntries(entries)) as pulumi.Output<Record<string, AppCredential>>);
}
