// What the mocked providers answer: enough realistic state for the program's outputs and
// dependency edges to behave as they would against real providers.

import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

const accountId = "123456789012";

export const fakeKubeconfig = (server: string, user = "fawkes-admin") =>
    [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: fawkes, cluster: {server: "${server}", certificate-authority-data: "Q0EK"}}]`,
        `contexts: [{name: fawkes, context: {cluster: fawkes, user: ${user}}}]`,
        "current-context: fawkes",
        `users: [{name: ${user}, user: {client-key-data: "S0VZCg==", client-certificate-data: "Q0VSVAo="}}]`,
        "",
    ].join("\n");

/** State of a newly "created" resource: its inputs plus the outputs providers compute. */
export function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
    // Auto-named resources get their name from the provider; without it, inputs derived
    // from `.name` (and their dependency edges) would silently vanish.
    state.name ??= `${args.name}-a1b2c3d`;
    const [pkg] = args.type.split(":");
    if (pkg === "aws") {
        const service = args.type.split(":")[1].split("/")[0];
        state.arn ??= `arn:aws:${service}:eu-west-1:${accountId}:${args.name}`;
    }
    switch (args.type) {
        case "aws:eks/cluster:Cluster":
            return {
                ...state,
                endpoint: `https://${String(state.name).toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
                certificateAuthority: { data: "Q0EK" },
                identities: [{ oidcs: [{ issuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }],
            };
        case "kubernetes:core/v1:Secret":
            // The token controller fills a service-account-token Secret, and pulumi-kubernetes waits for it.
            return state.type === "kubernetes.io/service-account-token"
                ? { ...state, data: { token: Buffer.from(`mock-token-${args.name}`).toString("base64"), "ca.crt": "Q0EK" } }
                : state;
        case "aws:kms/key:Key":
            return { ...state, keyId: `${args.name}-key-id`, arn: `arn:aws:kms:eu-west-1:${accountId}:key/${args.name}` };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { ...state, latestVersion: 1 };
        case "aws:eks/podIdentityAssociation:PodIdentityAssociation":
            return { ...state, associationArn: `arn:aws:eks:eu-west-1:${accountId}:podidentityassociation/${String(state.clusterName)}/a-${args.name}` };
        case "random:index/randomPassword:RandomPassword": {
            const length = Number(state.length ?? 16);
            const result = `mock${args.name.replace(/[^a-zA-Z0-9]/g, "")}`.padEnd(length, "x").slice(0, length);
            return { ...state, result, bcryptHash: `$2a$10$mockhashof${result}` };
        }
        case "tls:index/privateKey:PrivateKey":
            return { ...state, privateKeyPem: `-----BEGIN EC PRIVATE KEY-----\nmock-${args.name}\n-----END EC PRIVATE KEY-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { ...state, certPem: `-----BEGIN CERTIFICATE-----\nmock-${args.name}\n-----END CERTIFICATE-----\n` };
        case "pulumi-nodejs:dynamic/gitops:GitSeed":
            // The Git seed answers with the commit it pushed: here a stand-in derived from the tree.
            return { ...state, commit: createHash("sha1").update(JSON.stringify(state.files)).digest("hex") };
        case "command:local:Command":
            // kind: the create script prints the kubeconfig on stdout.
            return { ...state, stdout: fakeKubeconfig("https://127.0.0.1:6443") };
        case "azure-native:containerservice:ManagedCluster":
            return { ...state, name: state.resourceName ?? state.name, fqdn: `${String(state.dnsPrefix)}.hcp.westeurope.azmk8s.io` };
        case "azure-native:resources:ResourceGroup":
            return { ...state, name: state.resourceGroupName ?? state.name };
        case "azure-native:keyvault:Vault":
            return { ...state, name: state.vaultName ?? state.name };
        case "azure-native:keyvault:Key":
            return { ...state, name: state.keyName ?? state.name };
        case "azure-native:managedidentity:UserAssignedIdentity":
            return { ...state, principalId: `${args.name}-principal`, clientId: `${args.name}-client` };
        default:
            return state;
    }
}

/** Answers to provider function calls (invokes); an unexpected call fails the run. */
export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
                groupNames: ["eu-west-1"],
                id: "eu-west-1",
            };
        case "azure-native:containerservice:listManagedClusterUserCredentials":
            return {
                kubeconfigs: [
                    {
                        name: "clusterUser",
                        value: Buffer.from(fakeKubeconfig(`https://${String((args.inputs as Record<string, unknown>).resourceName)}.hcp.westeurope.azmk8s.io:443`, "clusterUser")).toString("base64"),
                    },
                ],
            };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            // Who runs the update: an SSO session of a deploy role.
            return { accountId, arn: `arn:aws:sts::${accountId}:assumed-role/fawkes-deployer/ci-session`, userId: "AROAMOCK:ci-session", id: accountId };
        case "azure-native:authorization:getClientConfig":
            return {
                clientId: "00000000-0000-0000-0000-00000000c11e",
                objectId: "00000000-0000-0000-0000-0000000000b1",
                subscriptionId: "00000000-0000-0000-0000-000000005ab5",
                tenantId: "00000000-0000-0000-0000-00000000te4a",
            };
        default:
            throw new Error(`the test mocks have no answer for call ${args.token}`);
    }
}
