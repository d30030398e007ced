// no-placeholder-values: a stack still carrying the shipped example values (example.com
// domain or ACME e-mail, this project's repository) must not be deployed. Advisory by
// default, so previews of the shipped files pass; the deploy workflow's pack config makes it
// mandatory.

import type { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { placeholderProblems } from "../lib/placeholders";
import { stackOutputs } from "./stack";

export const noPlaceholderValues: StackValidationPolicy = {
    name: "no-placeholder-values",
    description: "The stack's domain, ACME e-mail and Git repository are real values, not the shipped examples.",
    enforcementLevel: "advisory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const outputs = stackOutputs(args.resources);
        const gitops = outputs.gitops as { repoURL?: unknown } | undefined;
        const issuer = args.resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer" && typeof (r.props.spec as { acme?: { email?: unknown } } | undefined)?.acme?.email === "string");
        const problems = placeholderProblems({
            domain: typeof outputs.domain === "string" ? outputs.domain : undefined,
            acmeEmail: issuer ? String((issuer.props.spec as { acme: { email: string } }).acme.email) : undefined,
            repoURL: typeof gitops?.repoURL === "string" ? gitops.repoURL : undefined,
        });
        for (const problem of problems) {
            reportViolation(problem);
        }
    },
};
