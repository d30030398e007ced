// EKS node hardening (issue 11, point 8): pods cannot use the node's AWS credentials, the
// VPC CNI gets its rights through Pod Identity, and every Pod Identity role is assumable only
// by this cluster for one service account. The checks are functions over a mocked run, so the
// same functions are shown to refuse a run widened on purpose.

import * as assert from "node:assert/strict";
import { podIdentityTrustPolicy } from "../components/cluster/eks-pod-identity";
import { type CapturedResource, ofType, type RunResult, runStackFileOk } from "../scripts/lib/harness";

const account = "123456789012";
const cniPolicy = "AmazonEKS_CNI_Policy";
const policyName = (arn: unknown) => String(arn).replace("arn:aws:iam::aws:policy/", "");

interface TrustStatement {
    Effect: string;
    Principal?: { Service?: string | string[] };
    Action: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}
const trust = (role: CapturedResource) => JSON.parse(String(role.inputs.assumeRolePolicy)) as { Statement: TrustStatement[] };
const trustedServices = (role: CapturedResource) => trust(role).Statement.flatMap((s) => [s.Principal?.Service ?? []].flat());

const roles = (run: RunResult) => ofType(run, "aws:iam/role:Role");
const nodeRole = (run: RunResult) => {
    const found = roles(run).filter((r) => trustedServices(r).includes("ec2.amazonaws.com"));
    assert.equal(found.length, 1, "exactly one role for EC2 nodes");
    return found[0];
};
/** Managed policies attached to a role (attachments name the role by its provider-given name). */
const attachedTo = (run: RunResult, role: CapturedResource) =>
    ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === role.state.name)
        .map((a) => policyName(a.inputs.policyArn))
        .sort();
const roleByArn = (run: RunResult, arn: unknown) => roles(run).find((r) => r.state.arn === arn);
const addon = (run: RunResult, addonName: string) => ofType(run, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === addonName);

/** Every Pod Identity association of the run, from add-ons (their namespace is kube-system) and standalone ones. */
function podIdentityAssociations(run: RunResult): { via: string; namespace: string; serviceAccount: string; roleArn: unknown }[] {
    const fromAddons = ofType(run, "aws:eks/addon:Addon").flatMap((a) =>
        ((a.inputs.podIdentityAssociations ?? []) as { serviceAccount: string; roleArn: string }[]).map((p) => ({ via: `add-on ${String(a.inputs.addonName)}`, namespace: "kube-system", ...p })),
    );
    const standalone = ofType(run, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((p) => ({
        via: `association ${p.name}`,
        namespace: String(p.inputs.namespace),
        serviceAccount: String(p.inputs.serviceAccount),
        roleArn: p.inputs.roleArn,
    }));
    return [...fromAddons, ...standalone];
}

/** Why the nodes' instance metadata is reachable from pods, if it is. */
function metadataProblems(run: RunResult): string[] {
    const problems: string[] = [];
    const templates = ofType(run, "aws:ec2/launchTemplate:LaunchTemplate");
    for (const group of ofType(run, "aws:eks/nodeGroup:NodeGroup")) {
        const template = templates.find((t) => group.dependencies.includes(t.urn));
        if (!template) {
            problems.push(`node group ${group.name} has no launch template (EKS's default allows hop limit 2)`);
            continue;
        }
        const options = (template.inputs.metadataOptions ?? {}) as Record<string, unknown>;
        const expected: Record<string, unknown> = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 };
        if (Object.entries(expected).some(([key, value]) => options[key] !== value)) {
            problems.push(`launch template ${template.name}: metadataOptions ${JSON.stringify(options)}, want ${JSON.stringify(expected)}`);
        }
    }
    return problems;
}

/** Why the node role holds more than joining and pulling, if it does. */
function nodeRoleProblems(run: RunResult): string[] {
    const role = nodeRole(run);
    const problems: string[] = [];
    const attached = attachedTo(run, role);
    if (JSON.stringify(attached) !== JSON.stringify(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"])) {
        problems.push(`node role ${role.name} carries ${attached.join(", ")}`);
    }
    const inline = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);
    if (inline.length > 0) {
        problems.push(`node role ${role.name} has inline policies ${inline.map((p) => p.name).join(", ")}`);
    }
    return problems;
}

/** Why a Pod Identity role could be assumed for anything but its one service account in this cluster, if it could. */
function trustProblems(run: RunResult): string[] {
    const [cluster] = ofType(run, "aws:eks/cluster:Cluster");
    const problems: string[] = [];
    const associations = podIdentityAssociations(run);
    for (const role of roles(run).filter((r) => trustedServices(r).includes("pods.eks.amazonaws.com"))) {
        const uses = associations.filter((a) => a.roleArn === role.state.arn);
        if (uses.length !== 1) {
            problems.push(`Pod Identity role ${role.name} is used by ${uses.length} associations`);
            continue;
        }
        const [use] = uses;
        const want = {
            "aws:SourceAccount": account,
            "aws:RequestTag/eks-cluster-arn": String(cluster.state.arn),
            "aws:RequestTag/kubernetes-namespace": use.namespace,
            "aws:RequestTag/kubernetes-service-account": use.serviceAccount,
        };
        for (const statement of trust(role).Statement.filter((s) => s.Effect === "Allow")) {
            const equals = statement.Condition?.StringEquals ?? {};
            for (const [key, value] of Object.entries(want)) {
                if (equals[key] !== value) {
                    problems.push(`Pod Identity role ${role.name} (${use.via}): trust condition ${key} is ${JSON.stringify(equals[key])}, want "${value}"`);
                }
            }
        }
    }
    return problems;
}

/** Why a node could start before the CNI on it can get credentials, if it could. */
function orderingProblems(run: RunResult): string[] {
    const cni = addon(run, "vpc-cni");
    const agent = addon(run, "eks-pod-identity-agent");
    if (!cni || !agent) {
        return ["the vpc-cni and eks-pod-identity-agent add-ons are both required"];
    }
    const problems: string[] = [];
    const cniRole = roleByArn(run, (cni.inputs.podIdentityAssociations as { roleArn: string }[] | undefined)?.[0]?.roleArn);
    const cniAttachment = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find((a) => cniRole && a.inputs.role === cniRole.state.name);
    if (!cni.dependencies.includes(agent.urn)) {
        problems.push("the vpc-cni add-on does not wait for the Pod Identity agent");
    }
    if (!cniAttachment || !cni.dependencies.includes(cniAttachment.urn)) {
        problems.push("the vpc-cni add-on does not wait for its role's policy");
    }
    for (const group of ofType(run, "aws:eks/nodeGroup:NodeGroup")) {
        if (!group.dependencies.includes(cni.urn)) {
            problems.push(`node group ${group.name} does not wait for the vpc-cni add-on`);
        }
    }
    return problems;
}

const allProblems = (run: RunResult) => [...metadataProblems(run), ...nodeRoleProblems(run), ...trustProblems(run), ...orderingProblems(run)];

describe("EKS node hardening (prod under mocks)", function () {
    this.timeout(30_000);
    let prod: RunResult;
    /** A copy of the prod run to widen on purpose. */
    const widened = (change: (run: RunResult) => void) => {
        const run = structuredClone(prod);
        change(run);
        return run;
    };

    before(async () => {
        prod = await runStackFileOk("prod");
    });

    it("requires IMDSv2 with a hop limit of 1 on every node group's launch template", () => {
        const templates = ofType(prod, "aws:ec2/launchTemplate:LaunchTemplate");
        assert.equal(templates.length, 3, "one launch template per pool");
        for (const template of templates) {
            assert.deepEqual(template.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        }
        assert.deepEqual(metadataProblems(prod), []);
    });

    it("leaves the node role only the worker and registry policies: no CNI policy, no inline policy", () => {
        assert.deepEqual(attachedTo(prod, nodeRole(prod)), ["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"]);
        assert.deepEqual(nodeRoleProblems(prod), []);
        // The CNI policy exists exactly once, on a role only Pod Identity may assume.
        const cniAttachments = ofType(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => policyName(a.inputs.policyArn) === cniPolicy);
        assert.equal(cniAttachments.length, 1);
        const holder = roles(prod).find((r) => r.state.name === cniAttachments[0].inputs.role)!;
        assert.deepEqual(trustedServices(holder), ["pods.eks.amazonaws.com"]);
    });

    it("gives kube-system/aws-node the CNI policy through the vpc-cni add-on's Pod Identity association", () => {
        const cni = addon(prod, "vpc-cni")!;
        assert.ok(cni, "the VPC CNI is a managed add-on");
        assert.equal(cni.inputs.resolveConflictsOnCreate, "OVERWRITE", "the add-on adopts the aws-node EKS installed");
        const associations = cni.inputs.podIdentityAssociations as { roleArn: string; serviceAccount: string }[];
        assert.deepEqual(
            associations.map((a) => a.serviceAccount),
            ["aws-node"],
        );
        const role = roleByArn(prod, associations[0].roleArn)!;
        assert.ok(role, "the association's role is created by the program");
        assert.deepEqual(attachedTo(prod, role), [cniPolicy]);
        const [cluster] = ofType(prod, "aws:eks/cluster:Cluster");
        assert.deepEqual(trust(role).Statement, [
            {
                Sid: "EksPodIdentityForOneServiceAccount",
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": account,
                        "aws:RequestTag/eks-cluster-arn": cluster.state.arn,
                        "aws:RequestTag/kubernetes-namespace": "kube-system",
                        "aws:RequestTag/kubernetes-service-account": "aws-node",
                    },
                },
            },
        ]);
    });

    it("conditions every Pod Identity role (CNI, EBS CSI, Vault unseal, external-dns, cert-manager's DNS-01) on the account, the cluster and its one service account", () => {
        const associations = podIdentityAssociations(prod);
        assert.deepEqual(associations.map((a) => `${a.namespace}/${a.serviceAccount}`).sort(), [
            "cert-manager/cert-manager",
            "external-dns/external-dns",
            "kube-system/aws-node",
            "kube-system/ebs-csi-controller-sa",
            "vault/vault",
        ]);
        assert.equal(roles(prod).filter((r) => trustedServices(r).includes("pods.eks.amazonaws.com")).length, 5);
        assert.deepEqual(trustProblems(prod), []);
    });

    it("starts nodes only after the CNI add-on, which waits for the Pod Identity agent and its role's policy", () => {
        assert.deepEqual(orderingProblems(prod), []);
        const agent = addon(prod, "eks-pod-identity-agent")!;
        for (const group of ofType(prod, "aws:eks/nodeGroup:NodeGroup")) {
            assert.ok(!agent.dependencies.includes(group.urn), "the agent is installed before the nodes, not after");
        }
    });

    describe("refuses a widened run", () => {
        it("(and finds nothing to refuse in the run as it is)", () => {
            assert.deepEqual(allProblems(prod), []);
        });

        it("a hop limit of 2, or IMDSv1 allowed", () => {
            const hop2 = widened((run) => {
                const [template] = ofType(run, "aws:ec2/launchTemplate:LaunchTemplate");
                (template.inputs.metadataOptions as Record<string, unknown>).httpPutResponseHopLimit = 2;
            });
            assert.equal(metadataProblems(hop2).length, 1);
            assert.match(metadataProblems(hop2)[0], /"httpPutResponseHopLimit":2/);
            const v1 = widened((run) => {
                for (const template of ofType(run, "aws:ec2/launchTemplate:LaunchTemplate")) {
                    (template.inputs.metadataOptions as Record<string, unknown>).httpTokens = "optional";
                }
            });
            assert.equal(metadataProblems(v1).length, 3);
        });

        it("the CNI policy back on the node role", () => {
            const run = widened((r) => {
                const role = nodeRole(r);
                const [attachment] = ofType(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === role.state.name);
                r.resources.push({ ...structuredClone(attachment), name: "extra", urn: `${attachment.urn}-extra`, inputs: { role: role.state.name, policyArn: `arn:aws:iam::aws:policy/${cniPolicy}` } });
            });
            assert.deepEqual(nodeRoleProblems(run), [`node role ${nodeRole(run).name} carries AmazonEC2ContainerRegistryReadOnly, AmazonEKSWorkerNodePolicy, ${cniPolicy}`]);
        });

        it("a Pod Identity role trusted without conditions, or for another cluster", () => {
            const open = widened((r) => {
                const role = roles(r).find((x) => x.name.endsWith("-unseal"))!;
                role.inputs.assumeRolePolicy = JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
                });
            });
            assert.equal(trustProblems(open).length, 4, trustProblems(open).join("\n"));
            const otherCluster = widened((r) => {
                const role = roles(r).find((x) => x.name.endsWith("-vpc-cni"))!;
                role.inputs.assumeRolePolicy = String(role.inputs.assumeRolePolicy).replace(/:fawkes-prod-eks"/, ':other-eks"');
            });
            assert.match(trustProblems(otherCluster).join("\n"), /vpc-cni.*eks-cluster-arn/);
        });

        it("a node group that may start before the CNI add-on", () => {
            const run = widened((r) => {
                const cni = addon(r, "vpc-cni")!;
                const [group] = ofType(r, "aws:eks/nodeGroup:NodeGroup");
                (group as { dependencies: readonly string[] }).dependencies = group.dependencies.filter((d) => d !== cni.urn);
            });
            assert.equal(orderingProblems(run).length, 1);
        });
    });

    describe("the trust policy helper", () => {
        it("names the ARN it cannot read an account from", () => {
            assert.throws(() => podIdentityTrustPolicy("arn:aws:eks:eu-west-1:acme:cluster/x", "ns", "sa"), /cannot read an AWS account ID from ARN "arn:aws:eks:eu-west-1:acme:cluster\/x"/);
        });

        it("fails closed when a mock gives no cluster ARN", () => {
            const [statement] = (JSON.parse(podIdentityTrustPolicy(undefined, "ns", "sa")) as { Statement: TrustStatement[] }).Statement;
            assert.deepEqual(statement.Condition?.StringEquals, {
                "aws:SourceAccount": "",
                "aws:RequestTag/eks-cluster-arn": "",
                "aws:RequestTag/kubernetes-namespace": "ns",
                "aws:RequestTag/kubernetes-service-account": "sa",
            });
        });
    });
});
