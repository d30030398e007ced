import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { allocatable, reservedCpu, reservedMemory } from "../policy/lib/allocatable";
import { budgetReport, formatTable } from "../policy/lib/budget";
import { namespacesHaveQuotas, resourceBudget } from "../policy/policies/budget";
import {
    aksApiServerRestricted,
    aksRbac,
    eksEndpointAndEncryption,
    helmReleasePinned,
    imagesPinned,
    loadBalancerOnlyForIngress,
    noPrivilegedOrHostNamespaces,
} from "../policy/policies/guardrails";
import { aksEntraOnlyWhenHa, kyvernoBeforeClusterPolicies, protectStatefulWhenHa } from "../policy/policies/stack-guardrails";
import { type Diagnostic, mandatory, PolicyPackProcess } from "./support/analyzer";
import { gitopsApps } from "../components/catalog";
import { ofType, type RunResult, runStackFileOk } from "../scripts/lib/harness";
import { type AnalyzedResource, analyzedResources, checkResources, checkStack } from "../scripts/lib/policy-input";

const GiB = 2 ** 30;
const resourcePolicies: ResourceValidationPolicy[] = [helmReleasePinned, loadBalancerOnlyForIngress, imagesPinned, noPrivilegedOrHostNamespaces, eksEndpointAndEncryption, aksRbac, aksApiServerRestricted];
const stackPolicies: StackValidationPolicy[] = [resourceBudget, namespacesHaveQuotas, protectStatefulWhenHa, aksEntraOnlyWhenHa, kyvernoBeforeClusterPolicies];

/** Every violation of every policy, called directly. */
function violations(records: AnalyzedResource[]): string[] {
    return [
        ...resourcePolicies.flatMap((p) => checkResources(p, records).map((v) => `${p.name}: ${v}`)),
        ...stackPolicies.flatMap((p) => checkStack(p, records).map((v) => `${p.name}: ${v}`)),
    ];
}

const find = (records: AnalyzedResource[], type: string, name?: string) => records.find((r) => r.type === type && (name === undefined || r.name === name || r.props.name === name))!;

/** A workload the program might create, for the workload guardrails. */
function deployment(image: string, podSpec: Record<string, unknown> = {}): AnalyzedResource {
    return {
        type: "kubernetes:apps/v1:Deployment",
        name: "rogue",
        urn: "urn:pulumi:prod::fawkes::kubernetes:apps/v1:Deployment::rogue",
        props: { metadata: { name: "rogue", namespace: "default" }, spec: { replicas: 1, template: { spec: { containers: [{ name: "app", image, resources: { requests: { cpu: "10m", memory: "16Mi" } } }], ...podSpec } } } },
        protect: false,
        parent: "",
        dependencies: [],
    };
}

/** One unsafe change per guardrail, applied to a copy of a real stack's resources. */
const unsafeVariants: { guardrail: string; base: "dev" | "prod" | "prod-aks"; what: string; change: (r: AnalyzedResource[]) => void }[] = [
    { guardrail: "helm-release-pinned", base: "dev", what: "a chart version range", change: (r) => (find(r, "kubernetes:helm.sh/v3:Release", "vault").props.version = "^0.34.0") },
    { guardrail: "helm-release-pinned", base: "dev", what: "a plain-http chart repository", change: (r) => (find(r, "kubernetes:helm.sh/v3:Release", "kyverno").props.repositoryOpts = { repo: "http://charts.example.com" }) },
    { guardrail: "helm-release-pinned", base: "dev", what: "a non-atomic release", change: (r) => (find(r, "kubernetes:helm.sh/v3:Release", "argo-cd").props.atomic = false) },
    { guardrail: "helm-release-pinned", base: "dev", what: "a release without timeout", change: (r) => delete find(r, "kubernetes:helm.sh/v3:Release", "cert-manager").props.timeout },
    {
        guardrail: "load-balancer-only-for-ingress",
        base: "prod",
        what: "a LoadBalancer Service outside the ingress namespace",
        change: (r) => r.push({ ...deployment("x"), type: "kubernetes:core/v1:Service", name: "exposed", props: { metadata: { name: "exposed", namespace: "argocd" }, spec: { type: "LoadBalancer" } } }),
    },
    {
        guardrail: "load-balancer-only-for-ingress",
        base: "prod",
        what: "a chart asked for a LoadBalancer in its values",
        change: (r) => ((find(r, "kubernetes:helm.sh/v3:Release", "argo-cd").props.values as { server: Record<string, unknown> }).server.service = { type: "LoadBalancer" }),
    },
    { guardrail: "images-pinned", base: "dev", what: "a :latest image", change: (r) => r.push(deployment("nginx:latest")) },
    { guardrail: "images-pinned", base: "dev", what: "a tag without digest", change: (r) => r.push(deployment("nginx:1.27.0")) },
    {
        guardrail: "no-privileged-or-host-namespaces",
        base: "dev",
        what: "a privileged container",
        change: (r) => {
            const d = deployment("nginx:1.27.0@sha256:" + "a".repeat(64));
            ((d.props.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]).securityContext = { privileged: true };
            r.push(d);
        },
    },
    { guardrail: "no-privileged-or-host-namespaces", base: "dev", what: "host networking", change: (r) => r.push(deployment("nginx:1.27.0@sha256:" + "a".repeat(64), { hostNetwork: true })) },
    {
        guardrail: "eks-endpoint-and-encryption",
        base: "prod",
        what: "an API endpoint open to 0.0.0.0/0",
        change: (r) => Object.assign(find(r, "aws:eks/cluster:Cluster").props.vpcConfig as object, { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }),
    },
    { guardrail: "eks-endpoint-and-encryption", base: "prod", what: "Secrets not encrypted", change: (r) => delete find(r, "aws:eks/cluster:Cluster").props.encryptionConfig },
    { guardrail: "aks-rbac", base: "prod-aks", what: "RBAC disabled", change: (r) => (find(r, "azure-native:containerservice:ManagedCluster").props.enableRBAC = false) },
    {
        guardrail: "aks-api-server-restricted",
        base: "prod-aks",
        what: "a public API server without authorized IP ranges",
        change: (r) => delete (find(r, "azure-native:containerservice:ManagedCluster").props.apiServerAccessProfile as Record<string, unknown>).authorizedIPRanges,
    },
    {
        guardrail: "aks-api-server-restricted",
        base: "prod-aks",
        what: "authorized IP ranges that include 0.0.0.0/0",
        change: (r) => ((find(r, "azure-native:containerservice:ManagedCluster").props.apiServerAccessProfile as Record<string, unknown>).authorizedIPRanges = ["198.51.100.0/24", "0.0.0.0/0"]),
    },
    { guardrail: "aks-api-server-restricted", base: "prod-aks", what: "no API server access profile at all", change: (r) => delete find(r, "azure-native:containerservice:ManagedCluster").props.apiServerAccessProfile },
    { guardrail: "aks-local-accounts-off-when-ha", base: "prod-aks", what: "local accounts enabled in ha", change: (r) => (find(r, "azure-native:containerservice:ManagedCluster").props.disableLocalAccounts = false) },
    { guardrail: "protect-stateful-when-ha", base: "prod", what: "an unprotected cluster in ha", change: (r) => (find(r, "aws:eks/cluster:Cluster").protect = false) },
    ...["ValidatingPolicy", "PolicyException"].map((kind) => ({
        guardrail: "kyverno-before-cluster-policies",
        base: "dev" as const,
        what: `a ${kind} that does not wait for Kyverno`,
        change: (r: AnalyzedResource[]) => {
            const kyverno = find(r, "kubernetes:helm.sh/v3:Release", "kyverno");
            const policy = r.find((x) => x.type === `kubernetes:policies.kyverno.io/v1:${kind}`)!;
            policy.dependencies = policy.dependencies.filter((d) => d !== kyverno.urn);
        },
    })),
    { guardrail: "platform-namespaces-have-quotas", base: "dev", what: "a platform namespace without quota", change: (r) => r.splice(r.indexOf(find(r, "kubernetes:core/v1:ResourceQuota")), 1) },
    { guardrail: "platform-namespaces-have-quotas", base: "dev", what: "a quota without CPU limits", change: (r) => delete ((find(r, "kubernetes:core/v1:ResourceQuota").props.spec as { hard: Record<string, string> }).hard["limits.cpu"]) },
];

describe("policy pack", function () {
    this.timeout(60_000);
    const runs: Record<string, RunResult> = {};
    const records = (stack: string) => analyzedResources(runs[stack]);
    let overBudget: AnalyzedResource[];

    before(async () => {
        runs.dev = await runStackFileOk("dev");
        runs.prod = await runStackFileOk("prod");
        runs["prod-aks"] = await runStackFileOk("prod-aks");
        // The prod layout with its platform pool shrunk to one 2 vCPU / 8 GiB node (a size the
        // instance table does not know, so its capacity comes from the declared node labels).
        const shrunk = await runStackFileOk("prod", (c) => {
            const cluster = c["fawkes:cluster"] as { pools: Record<string, unknown>[] };
            cluster.pools[0] = { name: "platform", count: 1, instanceType: "m5.large", cpu: 2, memoryGiB: 8, diskGiB: 100 };
        });
        overBudget = analyzedResources(shrunk);
    });

    describe("allocatable model", () => {
        it("reserves GKE/AKS-style tiers: 80m CPU and 2.6 GiB + 100 MiB eviction on a 4 vCPU / 16 GiB node", () => {
            assert.equal(reservedCpu(4), 80);
            assert.equal(reservedMemory(16), 2.6 * GiB + 100 * 2 ** 20);
            const node = allocatable(4, 16, "tiered");
            assert.equal(node.cpu, 3920);
            assert.deepEqual(allocatable(4, 16, "none"), { cpu: 4000, memory: 16 * GiB });
        });
    });

    describe("budget report", () => {
        it("reads pools from each backend's cluster resources and demand from the quotas", () => {
            const dev = budgetReport(records("dev"), { targetUtilization: 0.7, reservationModel: "tiered" });
            assert.deepEqual(
                dev.pools.map((p) => [p.name, p.nodes, p.cpuPerNode, p.memoryGiBPerNode]),
                [
                    ["control-plane", 1, 4, 16],
                    ["platform", 1, 4, 16],
                    ["ci", 1, 4, 16],
                    ["apps", 1, 4, 16],
                ],
            );
            for (const stack of ["prod", "prod-aks"]) {
                const report = budgetReport(records(stack), { targetUtilization: 0.7, reservationModel: "tiered" });
                assert.deepEqual(
                    report.pools.map((p) => [p.name, p.nodes, p.source]),
                    [
                        ["platform", 2, stack === "prod" ? "m5.xlarge" : "Standard_D4s_v5"],
                        ["ci", 1, stack === "prod" ? "m5.xlarge" : "Standard_D4s_v5"],
                        ["apps", 1, stack === "prod" ? "m5.xlarge" : "Standard_D4s_v5"],
                    ],
                );
                assert.deepEqual(report.capacityProblems, []);
                assert.deepEqual(report.tenancyProblems, []);
            }
            const platform = dev.rows.find((r) => r.pool === "platform")!;
            assert.ok(platform.requests.cpu > 0 && platform.share.cpu < 0.7);
            assert.match(formatTable(dev), /^pool\s+requests/);
        });
    });

    describe("called directly", () => {
        for (const stack of ["dev", "prod", "prod-aks"]) {
            it(`${stack}: no violations`, () => {
                assert.deepEqual(violations(records(stack)), []);
            });
        }

        it("prod with every optional app on: every namespace has its quota (Kargo's extra ones too); only the budget may object", async () => {
            const all = await runStackFileOk("prod", (c) => (c["fawkes:apps"] = Object.fromEntries(gitopsApps().map((a) => [a.name, true]))));
            const found = violations(analyzedResources(all));
            assert.deepEqual(
                found.filter((v) => !v.startsWith("resource-budget:")),
                [],
            );
            const kargoNamespaces = ofType(all, "kubernetes:core/v1:ResourceQuota").map((q) => (q.inputs.metadata as { namespace: string }).namespace).filter((n) => n.startsWith("kargo"));
            assert.deepEqual(kargoNamespaces.sort(), ["kargo", "kargo-shared-resources", "kargo-system-resources"]);
        });

        it("over budget: prod with one small platform node fails the budget, naming the pool", () => {
            const found = checkStack(resourceBudget, overBudget);
            assert.equal(found.length, 1);
            assert.match(found[0], /over budget: platform (cpu|memory)/);
            assert.match(found[0], /\nplatform\s/);
        });

        it("the stricter of the pack's and the stack's targets applies", () => {
            assert.deepEqual(checkStack(resourceBudget, records("dev"), { targetUtilization: 0.7 }), []);
            assert.equal(checkStack(resourceBudget, records("dev"), { targetUtilization: 0.05 }).length, 1);
            const strictStack = records("dev");
            find(strictStack, "pulumi:pulumi:Stack").props.budgetTargetUtilization = 0.05;
            assert.equal(checkStack(resourceBudget, strictStack).length, 1);
        });

        for (const variant of unsafeVariants) {
            it(`${variant.guardrail} catches ${variant.what}`, () => {
                const resources = records(variant.base);
                variant.change(resources);
                const found = violations(resources);
                assert.ok(
                    found.some((v) => v.startsWith(`${variant.guardrail}: `)),
                    `expected a ${variant.guardrail} violation, got: ${found.join("\n") || "none"}`,
                );
            });
        }
    });

    describe("through the analyzer gRPC protocol, as the engine runs the pack", () => {
        let pack: PolicyPackProcess;
        before(async () => {
            pack = await PolicyPackProcess.start();
        });
        after(() => pack?.stop());

        const mandatoryOnly = (ds: Diagnostic[]) => ds.filter((d) => d.enforcementLevel === mandatory);

        for (const stack of ["dev", "prod", "prod-aks"]) {
            it(`${stack}: zero mandatory violations`, async () => {
                const diagnostics = await pack.analyzeAll(records(stack));
                assert.deepEqual(
                    mandatoryOnly(diagnostics).map((d) => `${d.policy}: ${d.message}`),
                    [],
                );
            });
        }

        it("over budget: a mandatory resource-budget violation naming the pool", async () => {
            const diagnostics = mandatoryOnly(await pack.analyzeStack(overBudget));
            assert.deepEqual(
                diagnostics.map((d) => d.policy),
                ["resource-budget"],
            );
            assert.match(diagnostics[0].message, /over budget: platform/);
        });

        it("every unsafe variant is caught by its guardrail", async () => {
            const missed: string[] = [];
            for (const variant of unsafeVariants) {
                const resources = records(variant.base);
                const before = new Set(resources.map((r) => JSON.stringify(r)));
                variant.change(resources);
                // Per resource only what the variant changed (the shipped stacks pass the pack, a
                // test above checks); the whole stack as it is now.
                const changed = resources.filter((r) => !before.has(JSON.stringify(r)));
                const perResource = await Promise.all(changed.map((r) => pack.analyze(r)));
                const diagnostics = mandatoryOnly([...perResource.flat(), ...(await pack.analyzeStack(resources))]);
                if (!diagnostics.some((d) => d.policy === variant.guardrail)) {
                    missed.push(`${variant.guardrail} (${variant.what}): got ${diagnostics.map((d) => d.policy).join(", ") || "nothing"}`);
                }
            }
            assert.deepEqual(missed, []);
        });

        it("takes thresholds from the policy config the engine sends", async () => {
            await pack.configure({ "resource-budget": { targetUtilization: 0.05 } });
            try {
                const diagnostics = mandatoryOnly(await pack.analyzeStack(records("dev")));
                assert.deepEqual(
                    diagnostics.map((d) => d.policy),
                    ["resource-budget"],
                );
            } finally {
                await pack.configure({});
            }
        });
    });
});
