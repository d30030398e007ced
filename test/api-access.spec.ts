// fawkes:cluster.apiAccess under mocked runs: how `pulumi up` reaches the API server of the EKS
// and AKS stacks. Public: the endpoint admits the declared ranges plus the deployer's /32 of
// this run. Private: no public endpoint; EKS admits the runner networks on 443 through a
// security group of the control plane's own, AKS is a private cluster reached from peered
// networks. And an Entra-only AKS kubeconfig logs in the way fawkes:cluster.kubelogin says.

import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { aksApiServerRestricted, eksEndpointAndEncryption } from "../policy/policies/guardrails";
import { deployerCidr } from "../scripts/deployer-cidr";
import { type CapturedResource, ofType, type RunResult, runStackFile, runStackFileOk, type StackConfig } from "../scripts/lib/harness";
import { mockCall, mockState } from "../scripts/lib/mocks";
import { analyzedResources, checkResources } from "../scripts/lib/policy-input";

const deployer = "203.0.113.7/32";
const shipped = "198.51.100.0/24";

const cluster = (run: RunResult, type: string): CapturedResource => {
    const [found] = ofType(run, type);
    assert.ok(found, `no ${type}`);
    return found;
};
const setApiAccess = (apiAccess: Record<string, unknown>, extra: Record<string, unknown> = {}) => (c: StackConfig) => {
    c["fawkes:cluster"] = { ...(c["fawkes:cluster"] as object), apiAccess, ...extra };
};
const apiReach = (run: RunResult) => run.resources.find((r) => r.type.startsWith("fawkes:cluster:"))?.outputs?.apiReach as Record<string, unknown>;

describe("reaching the API server (fawkes:cluster.apiAccess)", function () {
    this.timeout(60_000);

    describe("EKS", () => {
        const eks = "aws:eks/cluster:Cluster";
        type VpcConfig = { endpointPublicAccess: boolean; endpointPrivateAccess: boolean; publicAccessCidrs?: string[]; securityGroupIds: string[] };
        const vpcConfig = (run: RunResult) => cluster(run, eks).inputs.vpcConfig as VpcConfig;
        const apiGroup = (run: RunResult) => ofType(run, "aws:ec2/securityGroup:SecurityGroup").find((g) => g.name.endsWith("-api"))!;
        const rules = (run: RunResult) => ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        // The shipped stack (public; a deployer's /32 is added in cluster.spec.ts's variant) and a private variant.
        let publicRun: RunResult;
        let privateRun: RunResult;

        before(async () => {
            publicRun = await runStackFileOk("prod");
            privateRun = await runStackFileOk("prod", setApiAccess({ mode: "private", runnerCidrs: ["10.0.0.0/16", "172.20.0.0/16"] }));
        });

        it("public: the endpoint admits the declared ranges; private access stays on for the nodes", () => {
            const vpc = vpcConfig(publicRun);
            assert.deepEqual([vpc.endpointPublicAccess, vpc.endpointPrivateAccess, vpc.publicAccessCidrs], [true, true, [shipped]]);
            assert.deepEqual(rules(publicRun), [], "no runner network is admitted on the private endpoint");
        });

        it("private: no public endpoint, and the control plane admits TCP 443 from the runner networks only", () => {
            const vpc = vpcConfig(privateRun);
            assert.equal(vpc.endpointPublicAccess, false);
            assert.equal(vpc.endpointPrivateAccess, true);
            assert.equal(vpc.publicAccessCidrs, undefined);
            const group = apiGroup(privateRun);
            assert.deepEqual(vpc.securityGroupIds, [`${group.name}-id`]);
            assert.deepEqual(
                rules(privateRun).map((r) => [r.inputs.securityGroupId, r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
                [
                    [`${group.name}-id`, "tcp", 443, 443, "10.0.0.0/16"],
                    [`${group.name}-id`, "tcp", 443, 443, "172.20.0.0/16"],
                ],
            );
            // No other rule on the group: no inline ingress, and no egress (the cluster's own group has it).
            assert.equal(group.inputs.ingress, undefined);
            assert.equal(group.inputs.egress, undefined);
        });

        it("private: the Kubernetes provider waits for the rules, so a runner in the VPC can connect when it starts", () => {
            const [provider] = ofType(privateRun, "pulumi:providers:kubernetes");
            for (const rule of rules(privateRun)) {
                assert.ok(provider.dependencies.includes(rule.urn), `provider depends on ${rule.name}`);
            }
        });

        it("switching modes keeps the cluster's security groups: the same group is attached in both", () => {
            assert.equal(apiGroup(publicRun).urn, apiGroup(privateRun).urn);
            assert.deepEqual(vpcConfig(publicRun).securityGroupIds, vpcConfig(privateRun).securityGroupIds);
        });

        it("exports what a runner inside the VPC needs", () => {
            const reach = apiReach(privateRun);
            assert.equal(reach.mode, "private");
            assert.match(String(reach.endpoint), /^https:\/\/.*\.eks\.amazonaws\.com$/);
            assert.deepEqual(reach.allowedCidrs, ["10.0.0.0/16", "172.20.0.0/16"]);
            assert.deepEqual(reach.network, {
                kind: "eks",
                vpcId: "fawkes-prod-vpc-id",
                privateSubnetIds: ["fawkes-prod-private-0-id", "fawkes-prod-private-1-id", "fawkes-prod-private-2-id"],
                apiSecurityGroupId: "fawkes-prod-api-id",
            });
            assert.deepEqual(apiReach(publicRun).allowedCidrs, [shipped]);
        });

        it("the EKS guardrail accepts both modes", () => {
            for (const run of [publicRun, privateRun]) {
                assert.deepEqual(checkResources(eksEndpointAndEncryption, analyzedResources(run)), []);
            }
        });
    });

    describe("AKS", () => {
        const managed = "azure-native:containerservice:ManagedCluster";
        const profile = (run: RunResult) => cluster(run, managed).inputs.apiServerAccessProfile as Record<string, unknown>;

        /** The realistic mocks, with the exec kubeconfig AKS returns for format=exec, recording the credential calls. */
        function aksMocks(calls: Record<string, unknown>[]): pulumi.runtime.Mocks {
            return {
                newResource: (args) => ({ id: `${args.name}-id`, state: mockState(args) }),
                call: (args) => {
                    const inputs = args.inputs as Record<string, unknown>;
                    if (args.token !== "azure-native:containerservice:listManagedClusterUserCredentials" || inputs.format !== "exec") {
                        return mockCall(args);
                    }
                    calls.push(inputs);
                    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(execKubeconfig(String(inputs.resourceName))).toString("base64") }] };
                },
            };
        }

        let publicRun: RunResult;
        let privateRun: RunResult;
        const publicCalls: Record<string, unknown>[] = [];
        const privateCalls: Record<string, unknown>[] = [];

        before(async () => {
            publicRun = await runStackFile("prod-aks", setApiAccess({ mode: "public", cidrs: [shipped], deployerCidr: deployer }, { kubelogin: "workloadidentity" }), { mocks: aksMocks(publicCalls) });
            privateRun = await runStackFile("prod-aks", setApiAccess({ mode: "private" }), { mocks: aksMocks(privateCalls) });
            for (const run of [publicRun, privateRun]) {
                assert.equal(run.error, undefined, String(run.error));
            }
        });

        it("public: authorized IP ranges are the declared ranges, plus the deployer's /32 for the run", () => {
            assert.deepEqual(profile(publicRun), { enableVnetIntegration: true, authorizedIPRanges: [shipped, deployer] });
        });

        it("private: a private cluster with the system private DNS zone and its public FQDN, no authorized ranges", () => {
            assert.deepEqual(profile(privateRun), { enableVnetIntegration: true, enablePrivateCluster: true, enablePrivateClusterPublicFQDN: true, privateDNSZone: "system" });
        });

        it("API Server VNet Integration in both modes, so a public first run can later turn private in place", () => {
            for (const run of [publicRun, privateRun]) {
                assert.equal(profile(run).enableVnetIntegration, true);
            }
        });

        it("asks for the public FQDN's kubeconfig in both modes: the server never changes with the mode", () => {
            for (const calls of [publicCalls, privateCalls]) {
                assert.ok(calls.length > 0);
                for (const call of calls) {
                    assert.equal(call.serverFqdn, "public");
                    assert.equal(call.format, "exec");
                }
            }
        });

        it("feeds the provider a kubeconfig whose kubelogin uses the configured login, never a device code", () => {
            const kubeconfig = (run: RunResult) => String(ofType(run, "pulumi:providers:kubernetes")[0].inputs.kubeconfig);
            assert.match(kubeconfig(publicRun), /- --login\n\s+- workloadidentity\n/);
            assert.match(kubeconfig(privateRun), /- --login\n\s+- azurecli\n/);
            for (const run of [publicRun, privateRun]) {
                assert.doesNotMatch(kubeconfig(run), /devicecode/);
                assert.ok(run.secretOutputs.includes("kubeconfig"));
            }
        });

        it("exports the node resource group, where the AKS-managed network a runner peers with lives", () => {
            const reach = apiReach(privateRun);
            assert.equal(reach.mode, "private");
            assert.equal(reach.endpoint, "https://fawkes-prod-aks.hcp.westeurope.azmk8s.io:443");
            assert.deepEqual(reach.allowedCidrs, []);
            assert.deepEqual(Object.keys(reach.network as object).sort(), ["kind", "nodeResourceGroup"]);
        });

        it("the AKS guardrail accepts both modes", () => {
            for (const run of [publicRun, privateRun]) {
                assert.deepEqual(checkResources(aksApiServerRestricted, analyzedResources(run)), []);
            }
        });
    });

    describe("scripts/deployer-cidr.ts", () => {
        it("turns checkip's one-line answer into a /32 and refuses anything else", () => {
            assert.equal(deployerCidr("203.0.113.7\n"), deployer);
            for (const answer of ["", "2001:db8::1", "203.0.113.256", "<html>blocked</html>", "203.0.113.7 198.51.100.1"]) {
                assert.throws(() => deployerCidr(answer), /not one IPv4 address/, answer);
            }
        });
    });
});

/** The kubeconfig AKS returns for format=exec (see test/aks-kubeconfig.spec.ts). */
function execKubeconfig(clusterName: string): string {
    return [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        "    certificate-authority-data: Q0EK",
        `    server: https://${clusterName}.hcp.westeurope.azmk8s.io:443`,
        `  name: ${clusterName}`,
        "contexts:",
        "- context:",
        `    cluster: ${clusterName}`,
        `    user: clusterUser_rg_${clusterName}`,
        `  name: ${clusterName}`,
        `current-context: ${clusterName}`,
        "kind: Config",
        "preferences: {}",
        "users:",
        `- name: clusterUser_rg_${clusterName}`,
        "  user:",
        "    exec:",
        "      apiVersion: client.authentication.k8s.io/v1beta1",
        "      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, 72f988bf-86f1-41af-91ab-2d7cd011db47, --login, devicecode]",
        "      command: kubelogin",
        "      env: null",
        "      provideClusterInfo: false",
        "",
    ].join("\n");
}
