// no-placeholder-values: a stack still carrying the shipped example values (example.com
// domain or ACME e-mail, documentation ranges on the API server, this project's repository) must not be deployed. Advisory by
// default, so previews of the shipped files pass; the deploy workflow's pack config makes it
// mandatory.

import type { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { placeholderProblems } from "../lib/placeholders";
import { stackOutputs } from "./stack";

export const noPlaceholderValues: StackValidationPolicy = {
    name: "no-placeholder-values",
    description: "The stack's domain, ACME e-mail, API server ranges and Git repository are real values, not the shipped examples.",
    enforcementLevel: "advisory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const outputs = stackOutputs(args.resources);
        const gitops = outputs.gitops as { repoURL?: unknown } | undefined;
        const issuer = args.resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer" && typeof (r.props.spec as { acme?: { email?: unknown } } | undefined)?.acme?.email === "string");
        const problems = placeholderProblems({
            domain: typeof outputs.domain === "string" ? outputs.domain : undefined,
            acmeEmail: issuer ? String((issuer.props.spec as { acme: { email: string } }).acme.email) : undefined,
            repoURL: typeof gitops?.repoURL === "string" ? gitops.repoURL : undefined,
            apiCidrs: apiServerCidrs(args.resources),
        });
        for (const problem of problems) {
            reportViolation(problem);
        }
    },
};

/** The ranges an EKS endpoint or AKS API server admits, as the cluster resources declare them. */
function apiServerCidrs(resources: StackValidationArgs["resources"]): string[] {
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((c): c is string => typeof c === "string") : []);
    return resources.flatMap((r) => {
        if (r.type === "aws:eks/cluster:Cluster") {
            return strings((r.props.vpcConfig as { publicAccessCidrs?: unknown } | undefined)?.publicAccessCidrs);
        }
        if (r.type === "azure-native:containerservice:ManagedCluster") {
            return strings((r.props.apiServerAccessProfile as { authorizedIPRanges?: unknown } | undefined)?.authorizedIPRanges);
        }
        return [];
    });
}
