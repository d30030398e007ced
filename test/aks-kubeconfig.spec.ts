// An Entra-only AKS kubeconfig never asks for a device code: `pulumi up` in CI must not wait
// for a person.

import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { nonInteractiveKubeconfig } from "../components/cluster/aks-kubeconfig";

// The shape `az aks get-credentials --format exec` and listClusterUserCredentials(format=exec) return.
const execKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: fawkes-prod-aks
    cluster: { server: "https://fawkes.hcp.westeurope.azmk8s.io:443", certificate-authority-data: Q0EK }
contexts:
  - name: fawkes-prod-aks
    context: { cluster: fawkes-prod-aks, user: clusterUser_rg_fawkes }
current-context: fawkes-prod-aks
users:
  - name: clusterUser_rg_fawkes
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: kubelogin
        args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, 72f988bf-86f1-41af-91ab-2d7cd011db47, --environment, AzurePublicCloud]
        interactiveMode: IfAvailable
`;

describe("AKS kubeconfig for non-interactive runs", () => {
    it("makes kubelogin use the Azure CLI login, keeping the server id", () => {
        const out = parse(nonInteractiveKubeconfig(execKubeconfig)) as { users: { user: { exec: { args: string[] } } }[] };
        const args = out.users[0].user.exec.args;
        assert.deepEqual(args, ["get-token", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630", "--login", "azurecli"]);
        assert.ok(!args.includes("devicecode"));
    });

    it("handles --flag=value forms, and leaves other kubeconfigs alone", () => {
        const eq = execKubeconfig.replace("[get-token, --login, devicecode,", "[get-token, --login=devicecode,");
        const args = (parse(nonInteractiveKubeconfig(eq)) as { users: { user: { exec: { args: string[] } } }[] }).users[0].user.exec.args;
        assert.deepEqual(args.slice(-2), ["--login", "azurecli"]);
        assert.ok(!args.some((a) => a.includes("devicecode")));
        const certs = "apiVersion: v1\nkind: Config\nusers: [{name: u, user: {client-certificate-data: Q0VSVAo=}}]\n";
        assert.equal(nonInteractiveKubeconfig(certs), certs);
        assert.equal(nonInteractiveKubeconfig(""), "");
    });
});
