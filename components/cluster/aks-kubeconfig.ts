// The kubeconfig of an Entra-only AKS cluster, made non-interactive. AKS hands out an exec
// kubeconfig whose kubelogin call logs in with a device code, which waits for a person in a
// browser and hangs `pulumi up` in CI. It is rewritten to the kubelogin login that matches how
// Pulumi itself authenticates to Azure (fawkes:cluster.kubelogin), the way `kubelogin
// convert-kubeconfig -l <mode>` does it (Azure/kubelogin, pkg/internal/converter/convert.go):
// - azurecli: the token of the Azure CLI's login (`az login` on a laptop or a runner).
// - workloadidentity: a federated token exchange. kubelogin reads AZURE_CLIENT_ID,
//   AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST (a pod with workload
//   identity sets all four); on GitHub Actions, with `id-token: write`, it asks GitHub for a
//   fresh OIDC token itself (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN) and needs only the first two.
// - spn: a service principal's secret from AAD_SERVICE_PRINCIPAL_CLIENT_ID/_SECRET or
//   AZURE_CLIENT_ID/AZURE_CLIENT_SECRET (AZURE_* wins); the tenant is the cluster's own.
// Everything a login needs comes from the environment: the kubeconfig, a stack output, never
// holds a credential.

import { parse, stringify } from "yaml";
import type { KubeloginMode } from "../config-types";

interface ExecConfig {
    command?: string;
    args?: string[];
    env?: { name: string; value: string }[] | null;
    interactiveMode?: string;
}

interface KubeconfigUser {
    readonly name?: string;
    readonly user?: { exec?: ExecConfig };
}

/** Rewrites every kubelogin user of the kubeconfig to `mode`; other kubeconfigs pass unchanged. */
export function nonInteractiveKubeconfig(kubeconfig: string, mode: KubeloginMode): string {
    if (kubeconfig.trim() === "") {
        return kubeconfig;
    }
    const doc = parse(kubeconfig) as { users?: KubeconfigUser[] };
    let changed = false;
    for (const entry of doc.users ?? []) {
        const exec = entry.user?.exec;
        if (exec === undefined || !/kubelogin/i.test(exec.command ?? "")) {
            continue;
        }
        exec.args = kubeloginArgs(exec.args ?? [], mode, entry.name ?? "");
        // kubelogin lets AAD_LOGIN_METHOD override --login; the plugin's own env comes after the
        // caller's, so a stray AAD_LOGIN_METHOD=devicecode on a runner cannot bring the prompt back.
        exec.env = [{ name: "AAD_LOGIN_METHOD", value: mode }];
        // Never: client-go gives the plugin no terminal, so nothing can wait for a person there either.
        exec.interactiveMode = "Never";
        changed = true;
    }
    return changed ? stringify(doc) : kubeconfig;
}

/** `get-token --login <mode> --server-id <id>`, plus the cluster's tenant and cloud for spn. */
export function kubeloginArgs(args: readonly string[], mode: KubeloginMode, user: string): string[] {
    const serverId = flagValue(args, "--server-id");
    if (serverId === undefined) {
        throw new Error(`the AKS kubeconfig's kubelogin call for user ${user} has no --server-id (the AKS server application): cannot make it non-interactive`);
    }
    const login = ["get-token", "--login", mode, "--server-id", serverId];
    if (mode !== "spn") {
        // azurecli: the tenant is the CLI login's; workloadidentity: AZURE_TENANT_ID.
        return login;
    }
    // Not --client-id: the one AKS writes is its own public client's (80faf920-…), not the
    // service principal's, which comes from the environment.
    const tenant = flagValue(args, "--tenant-id", "-t");
    const environment = flagValue(args, "--environment", "-e");
    return [...login, ...(tenant === undefined ? [] : ["--tenant-id", tenant]), ...(environment === undefined ? [] : ["--environment", environment])];
}

/** The value of a flag given as `--flag value` or `--flag=value`. */
function flagValue(args: readonly string[], ...names: string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        const [flag, inline] = args[i].split(/=(.*)/s, 2);
        if (names.includes(flag)) {
            return inline ?? args[i + 1];
        }
    }
    return undefined;
}
