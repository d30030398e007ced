// Stack guardrails: rules that need the whole stack (its ha posture, dependency edges).

import type { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { stackOutputs, transitiveDependencies } from "./stack";

/** Cloud resources whose loss loses data or the cluster itself. */
export const statefulTypes = [
    "aws:eks/cluster:Cluster",
    "aws:kms/key:Key",
    "aws:ec2/vpc:Vpc",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:resources:ResourceGroup",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
];

const isHa = (args: StackValidationArgs) => stackOutputs(args.resources).ha === true;

export const protectStatefulWhenHa: StackValidationPolicy = {
    name: "protect-stateful-when-ha",
    description: "In ha stacks the cluster, its keys and its network are protected from deletion.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        if (!isHa(args)) {
            return;
        }
        for (const r of args.resources.filter((x) => statefulTypes.includes(x.type))) {
            if (r.opts.protect !== true) {
                reportViolation(`${r.type} ${r.name} is not protected; create it with { protect: true } in ha stacks.`, r.urn);
            }
        }
    },
};

export const aksEntraOnlyWhenHa: StackValidationPolicy = {
    name: "aks-local-accounts-off-when-ha",
    description: "In ha stacks AKS clusters disable local accounts (Entra ID only).",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        if (!isHa(args)) {
            return;
        }
        for (const r of args.resources.filter((x) => x.type === "azure-native:containerservice:ManagedCluster")) {
            if (r.props.disableLocalAccounts !== true) {
                reportViolation(`${r.name}: local accounts are enabled; set disableLocalAccounts: true with Entra ID and Azure RBAC.`, r.urn);
            }
        }
    },
};

/** Kyverno's policy kinds: ClusterPolicies (kyverno.io), and ValidatingPolicies, PolicyExceptions and the other CEL kinds (policies.kyverno.io). */
const isKyvernoPolicy = (type: string) => type.startsWith("kubernetes:kyverno.io/") || type.startsWith("kubernetes:policies.kyverno.io/");

export const kyvernoBeforeClusterPolicies: StackValidationPolicy = {
    name: "kyverno-before-cluster-policies",
    description: "Every Kyverno policy object (ClusterPolicy, ValidatingPolicy, PolicyException, ...) waits for the Kyverno release that brings its CRD and webhooks.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        for (const policy of args.resources.filter((r) => isKyvernoPolicy(r.type))) {
            const waitsForKyverno = [...transitiveDependencies(policy)].some((d) => d.type === "kubernetes:helm.sh/v3:Release" && d.props.chart === "kyverno");
            if (!waitsForKyverno) {
                const kind = policy.type.split(":")[2];
                reportViolation(`${kind} ${policy.name} does not depend on the Kyverno Helm release; add dependsOn: [kyvernoRelease].`, policy.urn);
            }
        }
    },
};
