// An Entra-only AKS kubeconfig never asks for a device code: `pulumi up` in CI must not wait
// for a person. kubelogin logs in the way fawkes:cluster.kubelogin says, with what that login
// needs taken from the environment, never written into the kubeconfig (a stack output).

import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { kubeloginArgs, nonInteractiveKubeconfig } from "../components/cluster/aks-kubeconfig";
import type { KubeloginMode } from "../components/config-types";

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const serverId = "6dae42f8-4368-4678-94ff-3960e28e3630";

// What listClusterUserCredentials(format=exec) and `az aks get-credentials --format exec` return
// for an Entra-only cluster: kubelogin with AKS's server application and public client, the
// tenant, and a device-code login, in this order, with AKS's install hint.
const execKubeconfig = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://fawkes-prod-aks-0f1e2d3c.hcp.westeurope.azmk8s.io:443
  name: fawkes-prod-aks
contexts:
- context:
    cluster: fawkes-prod-aks
    user: clusterUser_rg-fawkes-prod_fawkes-prod-aks
  name: fawkes-prod-aks
current-context: fawkes-prod-aks
kind: Config
preferences: {}
users:
- name: clusterUser_rg-fawkes-prod_fawkes-prod-aks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - get-token
      - --environment
      - AzurePublicCloud
      - --server-id
      - ${serverId}
      - --client-id
      - 80faf920-1908-4b52-b5ef-a8e7bedfc67a
      - --tenant-id
      - ${tenant}
      - --login
      - devicecode
      command: kubelogin
      env: null
      installHint: '

        kubelogin is not installed which is required to connect to AAD enabled cluster.


        To learn more, please go to https://aka.ms/aks/kubelogin

        '
      provideClusterInfo: false
`;

interface Exec {
    command: string;
    args: string[];
    env: { name: string; value: string }[] | null;
    interactiveMode?: string;
    installHint: string;
}
type Kubeconfig = { users: { name: string; user: { exec: Exec } }[]; clusters: { cluster: { server: string } }[] };
const convert = (kubeconfig: string, mode: KubeloginMode) => parse(nonInteractiveKubeconfig(kubeconfig, mode)) as Kubeconfig;
const exec = (kubeconfig: string, mode: KubeloginMode) => convert(kubeconfig, mode).users[0].user.exec;

describe("AKS kubeconfig for non-interactive runs", () => {
    it("the fixture is the device-code exec kubeconfig AKS hands out", () => {
        const original = (parse(execKubeconfig) as Kubeconfig).users[0].user.exec;
        assert.equal(original.command, "kubelogin");
        assert.deepEqual(original.args.slice(-2), ["--login", "devicecode"]);
        assert.equal(original.env, null);
    });

    // kubelogin's own `convert-kubeconfig -l <mode>` output for each mode (pkg/internal/converter).
    const expected: Record<KubeloginMode, string[]> = {
        azurecli: ["get-token", "--login", "azurecli", "--server-id", serverId],
        workloadidentity: ["get-token", "--login", "workloadidentity", "--server-id", serverId],
        spn: ["get-token", "--login", "spn", "--server-id", serverId, "--tenant-id", tenant, "--environment", "AzurePublicCloud"],
    };
    for (const [mode, args] of Object.entries(expected) as [KubeloginMode, string[]][]) {
        it(`${mode}: kubelogin logs in with ${mode}, pinned against AAD_LOGIN_METHOD, never interactively`, () => {
            const out = exec(execKubeconfig, mode);
            assert.deepEqual(out.args, args);
            assert.deepEqual(out.env, [{ name: "AAD_LOGIN_METHOD", value: mode }]);
            assert.equal(out.interactiveMode, "Never");
            assert.ok(!out.args.includes("devicecode"));
            // The public client id of AKS is the device-code login's, and never a service principal's.
            assert.ok(!out.args.includes("--client-id"));
        });
    }

    it("writes no credential into the kubeconfig and keeps the cluster, contexts and install hint", () => {
        for (const mode of Object.keys(expected) as KubeloginMode[]) {
            const text = nonInteractiveKubeconfig(execKubeconfig, mode);
            assert.doesNotMatch(text, /client-secret|client-certificate|password|federated-token-file/);
            const doc = parse(text) as Kubeconfig;
            assert.equal(doc.clusters[0].cluster.server, "https://fawkes-prod-aks-0f1e2d3c.hcp.westeurope.azmk8s.io:443");
            assert.match(doc.users[0].user.exec.installHint, /kubelogin is not installed/);
            assert.equal(doc.users[0].name, "clusterUser_rg-fawkes-prod_fawkes-prod-aks");
        }
    });

    it("reads --flag=value and short flags, and refuses a kubelogin call without a server id", () => {
        const args = ["get-token", "--login=devicecode", `--server-id=${serverId}`, "-t", tenant, "-e", "AzureUSGovernmentCloud"];
        assert.deepEqual(kubeloginArgs(args, "spn", "u"), ["get-token", "--login", "spn", "--server-id", serverId, "--tenant-id", tenant, "--environment", "AzureUSGovernmentCloud"]);
        assert.throws(() => kubeloginArgs(["get-token", "--login", "devicecode"], "azurecli", "clusterUser_x"), /clusterUser_x has no --server-id/);
    });

    it("leaves certificate kubeconfigs (local accounts, non-ha) and empty ones alone", () => {
        const certs = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {client-certificate-data: Q0VSVAo=}}]\n";
        assert.equal(nonInteractiveKubeconfig(certs, "workloadidentity"), certs);
        assert.equal(nonInteractiveKubeconfig("", "azurecli"), "");
    });
});
