// The kubeconfig of an Entra-only AKS cluster, made non-interactive. AKS hands out an exec
// kubeconfig whose kubelogin call logs in with a device code, which waits for a person in a
// browser and hangs `pulumi up` in CI. The Azure CLI login is the one every runner and laptop
// already has for Pulumi's own Azure provider (`az login`, or azure/login with OIDC in CI), so
// kubelogin takes its token from there.

import { parse, stringify } from "yaml";

interface ExecUser {
    readonly name?: string;
    readonly user?: { exec?: { command?: string; args?: string[] } };
}

/** Replaces kubelogin's interactive login with `--login azurecli`; other kubeconfigs pass unchanged. */
export function nonInteractiveKubeconfig(kubeconfig: string): string {
    if (kubeconfig.trim() === "") {
        return kubeconfig;
    }
    const doc = parse(kubeconfig) as { users?: ExecUser[] };
    let changed = false;
    for (const entry of doc.users ?? []) {
        const exec = entry.user?.exec;
        if (exec?.command !== "kubelogin" || exec.args === undefined) {
            continue;
        }
        exec.args = azureCliArgs(exec.args);
        changed = true;
    }
    return changed ? stringify(doc) : kubeconfig;
}

/** kubelogin get-token arguments for the Azure CLI login: the server id stays, the interactive flags go. */
function azureCliArgs(args: readonly string[]): string[] {
    // Flags that take a value and belong to the interactive or service-principal logins.
    const dropWithValue = new Set(["--login", "-l", "--client-id", "--tenant-id", "-t", "--environment", "-e"]);
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        const [flag] = arg.split("=");
        if (dropWithValue.has(flag)) {
            if (!arg.includes("=")) {
                i++;
            }
            continue;
        }
        out.push(arg);
    }
    return [...out, "--login", "azurecli"];
}
