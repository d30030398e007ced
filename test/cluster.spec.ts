import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { parse } from "yaml";
import { kindNodeImages } from "../components/kubernetes-versions";
import { byUrn, ofType, plainMocks, projectDefaults, projectRoot, type RunResult, runStackFile, runStackFileOk } from "../scripts/lib/harness";

const poolLabel = "fawkes.dev/pool";
/** The KMS key that encrypts the cluster's Secrets (Vault's unseal key is another one). */
const clusterKey = (run: RunResult) => ofType(run, "aws:kms/key:Key").find((k) => k.name.endsWith("-secrets"))!;

describe("cluster backends (mocked runs of the stack files)", function () {
    this.timeout(30_000);
    let dev: RunResult;
    let prod: RunResult;
    let prodAks: RunResult;

    before(async () => {
        dev = await runStackFileOk("dev");
        prod = await runStackFileOk("prod");
        prodAks = await runStackFileOk("prod-aks");
    });

    describe("dev: kind", () => {
        const kindConfig = () => {
            const command = ofType(dev, "command:local:Command").find((c) => c.name.endsWith("-kind"))!;
            const env = command.inputs.environment as Record<string, string>;
            return { command, env, config: parse(env.KIND_CONFIG) as { name: string; nodes: { role: string; image: string; labels: Record<string, string>; extraPortMappings?: { containerPort: number; hostPort: number }[] }[] } };
        };

        it("creates the cluster with kind and deletes it on destroy", () => {
            const { command, env, config } = kindConfig();
            assert.match(String(command.inputs.create), /kind create cluster --name "\$KIND_CLUSTER_NAME" --config/);
            assert.match(String(command.inputs.create), /kind get kubeconfig --name "\$KIND_CLUSTER_NAME"/);
            assert.match(String(command.inputs.delete), /kind delete cluster --name "\$KIND_CLUSTER_NAME"/);
            assert.equal(env.KIND_CLUSTER_NAME, "fawkes-dev");
            assert.equal(config.name, "fawkes-dev");
            // stdout is the kubeconfig: kept out of logs and secret in state.
            assert.equal(command.inputs.logging, "stderr");
            assert.deepEqual(command.additionalSecretOutputs, ["stdout"]);
            assert.ok(command.deleteBeforeReplace && command.replaceOnChanges.includes("*"));
        });

        it("runs a control plane with host ports 80/443 labelled ingress-ready, and one worker per pool", () => {
            const { config } = kindConfig();
            assert.deepEqual(
                config.nodes.map((n) => [n.role, n.labels[poolLabel]]),
                [
                    ["control-plane", "control-plane"],
                    ["worker", "platform"],
                    ["worker", "ci"],
                    ["worker", "apps"],
                ],
            );
            const [controlPlane] = config.nodes;
            assert.equal(controlPlane.labels["ingress-ready"], "true");
            assert.deepEqual(
                controlPlane.extraPortMappings?.map((m) => [m.containerPort, m.hostPort]),
                [
                    [80, 80],
                    [443, 443],
                ],
            );
            for (const node of config.nodes) {
                assert.equal(node.image, kindNodeImages["1.35"]);
            }
        });

        it("declares every kind node as 4 vCPU / 16 GiB for budgeting", () => {
            const pools = dev.outputs.nodePools as { name: string; count: number; cpu: number; memoryGiB: number }[];
            assert.deepEqual(
                pools.map((p) => [p.name, p.count, p.cpu, p.memoryGiB]),
                [
                    ["control-plane", 1, 4, 16],
                    ["platform", 1, 4, 16],
                    ["ci", 1, 4, 16],
                    ["apps", 1, 4, 16],
                ],
            );
        });

        it("adds a worker per node when a pool has more than one", async () => {
            const run = await runStackFileOk("dev", (c) => {
                c["fawkes:cluster"] = { provider: "kind", pools: [{ name: "platform", count: 2 }, { name: "ci", count: 1 }, { name: "apps", count: 1 }] };
            });
            const env = ofType(run, "command:local:Command").find((c) => c.name.endsWith("-kind"))!.inputs.environment as Record<string, string>;
            const nodes = (parse(env.KIND_CONFIG) as { nodes: { labels: Record<string, string> }[] }).nodes;
            assert.deepEqual(
                nodes.map((n) => n.labels[poolLabel]),
                ["control-plane", "platform", "platform", "ci", "apps"],
            );
        });

        it("takes the kubeconfig from kind's own output", () => {
            const command = ofType(dev, "command:local:Command").find((c) => c.name.endsWith("-kind"))!;
            const [k8sProvider] = ofType(dev, "pulumi:providers:kubernetes");
            assert.ok(k8sProvider.dependencies.includes(command.urn), "the Kubernetes provider's kubeconfig comes from the kind command");
            assert.match(String(k8sProvider.inputs.kubeconfig), /server: "https:\/\/127\.0\.0\.1:6443"/);
        });
    });

    describe("prod: EKS", () => {
        it("builds a VPC over at least two zones with public and private subnets", () => {
            assert.equal(ofType(prod, "aws:ec2/vpc:Vpc").length, 1);
            const subnets = ofType(prod, "aws:ec2/subnet:Subnet");
            const zones = (tag: string) => new Set(subnets.filter((s) => (s.inputs.tags as Record<string, string>)[tag] === "1").map((s) => s.inputs.availabilityZone));
            assert.ok(zones("kubernetes.io/role/elb").size >= 2, "public subnets in >= 2 zones");
            assert.ok(zones("kubernetes.io/role/internal-elb").size >= 2, "private subnets in >= 2 zones");
            assert.equal(ofType(prod, "aws:ec2/natGateway:NatGateway").length, 3, "ha: a NAT gateway per zone");
        });

        it("looks up the region's first three zones when none are configured", async () => {
            const run = await runStackFileOk("prod", (c) => {
                delete (c["fawkes:cluster"] as Record<string, unknown>).availabilityZones;
            });
            const zones = ofType(run, "aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone);
            assert.deepEqual([...new Set(zones)].sort(), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        });

        it("encrypts Secrets with a rotated KMS key created for the cluster", () => {
            const key = clusterKey(prod);
            assert.equal(key.inputs.enableKeyRotation, true);
            const [cluster] = ofType(prod, "aws:eks/cluster:Cluster");
            const encryption = cluster.inputs.encryptionConfig as { resources: string[]; provider: { keyArn: string } };
            assert.deepEqual(encryption.resources, ["secrets"]);
            assert.ok(cluster.dependencies.includes(key.urn), "cluster encryption uses the created key");
        });

        it("keeps the API endpoint off the open internet (the declared ranges only, private access on) and runs the configured version", () => {
            const [cluster] = ofType(prod, "aws:eks/cluster:Cluster");
            const vpc = cluster.inputs.vpcConfig as { endpointPublicAccess: boolean; endpointPrivateAccess: boolean; publicAccessCidrs?: string[] };
            assert.equal(vpc.endpointPublicAccess, true);
            assert.equal(vpc.endpointPrivateAccess, true);
            assert.deepEqual(vpc.publicAccessCidrs, ["198.51.100.0/24"]);
            assert.ok(!(vpc.publicAccessCidrs ?? []).includes("0.0.0.0/0"));
            assert.equal(cluster.inputs.version, "1.35");
            assert.equal(cluster.inputs.name, "fawkes-prod");
        });

        it("opens the endpoint only to the listed CIDRs, and to the deployer's /32 for the run", async () => {
            const run = await runStackFileOk("prod", (c) => {
                (c["fawkes:cluster"] as Record<string, unknown>).apiAccess = { mode: "public", cidrs: ["203.0.113.0/24"], deployerCidr: "192.0.2.10/32" };
            });
            const vpc = ofType(run, "aws:eks/cluster:Cluster")[0].inputs.vpcConfig as { endpointPublicAccess: boolean; publicAccessCidrs: string[] };
            assert.equal(vpc.endpointPublicAccess, true);
            assert.deepEqual(vpc.publicAccessCidrs, ["203.0.113.0/24", "192.0.2.10/32"]);
        });

        it("runs a managed node group per pool: 4 x m5.xlarge, labelled, gp3 100 GiB, private subnets", () => {
            const groups = ofType(prod, "aws:eks/nodeGroup:NodeGroup");
            assert.deepEqual(
                groups.map((g) => {
                    const scaling = g.inputs.scalingConfig as Record<string, number>;
                    return [g.inputs.nodeGroupName, scaling.desiredSize, scaling.minSize, scaling.maxSize, (g.inputs.instanceTypes as string[])[0], (g.inputs.labels as Record<string, string>)[poolLabel]];
                }),
                [
                    ["platform", 2, 2, 2, "m5.xlarge", "platform"],
                    ["ci", 1, 1, 1, "m5.xlarge", "ci"],
                    ["apps", 1, 1, 1, "m5.xlarge", "apps"],
                ],
            );
            const privateSubnets = ofType(prod, "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("-private-"));
            for (const group of groups) {
                assert.equal(group.inputs.version, "1.35");
                for (const subnet of privateSubnets) {
                    assert.ok(group.dependencies.includes(subnet.urn), `${group.name} runs on the private subnets`);
                }
                const template = ofType(prod, "aws:ec2/launchTemplate:LaunchTemplate").find((t) => group.dependencies.includes(t.urn));
                assert.ok(template, `${group.name} uses a launch template`);
                const [disk] = template.inputs.blockDeviceMappings as { ebs: { volumeSize: number; volumeType: string; encrypted: string } }[];
                assert.deepEqual([disk.ebs.volumeSize, disk.ebs.volumeType, disk.ebs.encrypted], [100, "gp3", "true"]);
                assert.equal((template.inputs.metadataOptions as Record<string, unknown>).httpTokens, "required");
            }
        });

        it("gives node and cluster roles only the AWS-managed EKS policies, plus KMS use of its own key", () => {
            const attached = ofType(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => String(a.inputs.policyArn).replace("arn:aws:iam::aws:policy/", ""));
            assert.deepEqual(attached.sort(), [
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKSClusterPolicy",
                "AmazonEKSWorkerNodePolicy",
                "AmazonEKS_CNI_Policy",
                "service-role/AmazonEBSCSIDriverPolicy",
            ]);
            const inline = ofType(prod, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name.endsWith("-cluster-kms"))!;
            const policy = JSON.parse(String(inline.inputs.policy)) as { Statement: { Resource: string; Action: string[] }[] };
            const key = clusterKey(prod);
            assert.deepEqual(
                policy.Statement.map((s) => s.Resource),
                [`arn:aws:kms:eu-west-1:123456789012:key/${key.name}`],
            );
            assert.ok(policy.Statement.every((s) => s.Action.every((a) => a.startsWith("kms:"))));
        });

        it("installs the EBS CSI driver and makes encrypted gp3 the default StorageClass", () => {
            const addons = ofType(prod, "aws:eks/addon:Addon").map((a) => a.inputs.addonName);
            assert.deepEqual(addons.sort(), ["aws-ebs-csi-driver", "eks-pod-identity-agent", "vpc-cni"]);
            const [storageClass] = ofType(prod, "kubernetes:storage.k8s.io/v1:StorageClass");
            assert.equal((storageClass.inputs.metadata as { annotations: Record<string, string> }).annotations["storageclass.kubernetes.io/is-default-class"], "true");
            assert.deepEqual(storageClass.inputs.parameters, { type: "gp3", encrypted: "true" });
        });

        it("uses the explicit region from config", () => {
            const [aws] = ofType(prod, "pulumi:providers:aws");
            assert.equal(aws.inputs.region, "eu-west-1");
        });
    });

    describe("prod-aks: AKS", () => {
        it("runs one agent pool per pool, the first in System mode, with labels and 100 GiB OS disks", () => {
            const [cluster] = ofType(prodAks, "azure-native:containerservice:ManagedCluster");
            const pools = cluster.inputs.agentPoolProfiles as Record<string, unknown>[];
            assert.deepEqual(
                pools.map((p) => [p.name, p.mode, p.count, p.vmSize, p.osDiskSizeGB, (p.nodeLabels as Record<string, string>)[poolLabel]]),
                [
                    ["platform", "System", 2, "Standard_D4s_v5", 100, "platform"],
                    ["ci", "User", 1, "Standard_D4s_v5", 100, "ci"],
                    ["apps", "User", 1, "Standard_D4s_v5", 100, "apps"],
                ],
            );
            assert.equal(cluster.inputs.kubernetesVersion, "1.35");
        });

        it("enables RBAC and, in ha stacks, disables local accounts in favour of Entra ID", async () => {
            const [cluster] = ofType(prodAks, "azure-native:containerservice:ManagedCluster");
            assert.equal(cluster.inputs.enableRBAC, true);
            assert.equal(cluster.inputs.disableLocalAccounts, true);
            assert.deepEqual(cluster.inputs.aadProfile, { managed: true, enableAzureRBAC: true });
            const grant = ofType(prodAks, "azure-native:authorization:RoleAssignment").find((g) => g.name.endsWith("-deployer-admin"))!;
            assert.match(String(grant.inputs.roleDefinitionId), /b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b$/);

            const nonHa = await runStackFileOk("prod-aks", (c) => (c["fawkes:ha"] = false));
            const [plain] = ofType(nonHa, "azure-native:containerservice:ManagedCluster");
            assert.equal(plain.inputs.enableRBAC, true);
            assert.equal(plain.inputs.disableLocalAccounts, false);
            assert.ok(!ofType(nonHa, "azure-native:authorization:RoleAssignment").some((g) => g.name.endsWith("-deployer-admin")));
        });

        it("admits only the declared ranges to the API server (authorized IP ranges), with API Server VNet Integration", () => {
            const [cluster] = ofType(prodAks, "azure-native:containerservice:ManagedCluster");
            assert.deepEqual(cluster.inputs.apiServerAccessProfile, { enableVnetIntegration: true, authorizedIPRanges: ["198.51.100.0/24"] });
        });

        it("reads the kubeconfig from the user-credentials call", () => {
            const [k8sProvider] = ofType(prodAks, "pulumi:providers:kubernetes");
            assert.match(String(k8sProvider.inputs.kubeconfig), /fawkes-prod-aks\.hcp\.westeurope\.azmk8s\.io/);
        });
    });

    describe("every stack", () => {
        const stacks = () => ({ dev, prod, "prod-aks": prodAks });

        it("gives every resource of a package whose default provider Pulumi.yaml disables an explicit provider", () => {
            const disabled = projectDefaults()["pulumi:disable-default-providers"] as string[];
            assert.deepEqual([...disabled].sort(), ["aws", "azure-native", "kubernetes"]);
            for (const [stack, run] of Object.entries(stacks())) {
                for (const r of run.resources.filter((x) => x.custom && disabled.includes(x.type.split(":")[0]))) {
                    const pkg = r.type.split(":")[0];
                    const provider = byUrn(run, r.provider);
                    assert.ok(provider, `${stack}: ${r.type} ${r.name} uses the default ${pkg} provider`);
                    assert.equal(provider.type, `pulumi:providers:${pkg}`, `${stack}: ${r.name}`);
                }
            }
        });

        it("puts every in-cluster resource on the cluster's Kubernetes provider", () => {
            for (const [stack, run] of Object.entries(stacks())) {
                const k8sProviders = ofType(run, "pulumi:providers:kubernetes");
                assert.equal(k8sProviders.length, 1, `${stack}: exactly one Kubernetes provider`);
                for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                    assert.equal(r.provider, k8sProviders[0].urn, `${stack}: ${r.type} ${r.name}`);
                }
            }
        });

        it("exports the kubeconfig only as a secret, and feeds it to the provider as a secret", () => {
            for (const [stack, run] of Object.entries(stacks())) {
                assert.ok(run.secretOutputs.includes("kubeconfig"), `${stack}: kubeconfig output is secret`);
                assert.ok(String(run.outputs.kubeconfig).length > 0);
                const [k8sProvider] = ofType(run, "pulumi:providers:kubernetes");
                assert.ok(k8sProvider.secretInputs.includes("kubeconfig"), `${stack}: provider kubeconfig input is secret`);
                const component = run.resources.find((r) => r.type.startsWith("fawkes:cluster:"));
                assert.ok(component?.secretOutputs?.includes("kubeconfig"), `${stack}: component output is secret`);
            }
        });

        it("protects stateful cloud resources in ha stacks, and only there", async () => {
            const stateful = ["aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:ec2/vpc:Vpc", "azure-native:containerservice:ManagedCluster", "azure-native:resources:ResourceGroup"];
            for (const run of [prod, prodAks]) {
                const found = run.resources.filter((r) => stateful.includes(r.type));
                assert.ok(found.length >= 2);
                for (const r of found) {
                    assert.equal(r.protect, true, `${r.type} is protected`);
                }
            }
            assert.equal(ofType(prod, "aws:eks/cluster:Cluster")[0].inputs.deletionProtection, true);
            const nonHa = await runStackFileOk("prod", (c) => (c["fawkes:ha"] = false));
            for (const r of nonHa.resources.filter((x) => stateful.includes(x.type))) {
                assert.equal(r.protect, false, `${r.type} is not protected without ha`);
            }
            assert.equal(ofType(nonHa, "aws:ec2/natGateway:NatGateway").length, 1, "one shared NAT gateway without ha");
        });

        it("warns at preview when the retired ingress-nginx controller is selected", async () => {
            assert.deepEqual(dev.warnings, []);
            const run = await runStackFileOk("dev", (c) => (c["fawkes:ingress"] = { controller: "ingress-nginx" }));
            assert.equal(run.outputs.ingressController, "ingress-nginx");
            assert.equal(run.warnings.length, 1);
            assert.match(run.warnings[0], /ingress-nginx.*retired upstream in March 2026/);
        });
    });

    for (const stack of ["dev", "prod", "prod-aks"]) {
        it(`${stack}: runs under a plain mock harness too (inputs echoed, default project name)`, async () => {
            const run = await runStackFile(stack, undefined, { mocks: plainMocks, project: "project" });
            assert.equal(run.error, undefined, String(run.error));
            assert.ok(ofType(run, "pulumi:providers:kubernetes").length === 1);
            assert.ok(run.secretOutputs.includes("kubeconfig"));
        });
    }

    it("a dev run never loads the AWS or Azure SDKs", function () {
        this.timeout(60_000);
        const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "support", "load-probe.ts"), "dev"], {
            cwd: projectRoot,
            encoding: "utf8",
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        });
        const loaded = JSON.parse(out.trim().split("\n").pop()!) as string[];
        assert.ok(loaded.includes("@pulumi/kubernetes") && loaded.includes("@pulumi/command"), `sanity: loaded ${loaded.join(", ")}`);
        assert.ok(!loaded.includes("@pulumi/aws"), "dev loaded @pulumi/aws");
        assert.ok(!loaded.includes("@pulumi/azure-native"), "dev loaded @pulumi/azure-native");
    });
});
