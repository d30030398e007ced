// Stack policies: the platform fits its node pools below the target utilisation, and every
// platform namespace has a quota to be counted by.

import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { budgetReport, formatTable } from "../lib/budget";
import { budgetDefaults, budgetSchema, settings } from "./settings";
import { stackOutputs } from "./stack";

/** The stricter of the pack's target and the stack's own fawkes:budget.targetUtilization. */
export function effectiveTarget(configured: number, resources: readonly PolicyResource[]): number {
    const declared = Number(stackOutputs(resources).budgetTargetUtilization);
    return Number.isFinite(declared) && declared > 0 ? Math.min(configured, declared) : configured;
}

export const resourceBudget: StackValidationPolicy = {
    name: "resource-budget",
    description: "Requests of the platform fit below the target utilisation of allocatable CPU and memory, per node pool and in total.",
    enforcementLevel: "mandatory",
    configSchema: budgetSchema,
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const config = settings(args.getConfig<typeof budgetDefaults>(), budgetDefaults);
        const report = budgetReport(args.resources, { ...config, targetUtilization: effectiveTarget(config.targetUtilization, args.resources) });
        if (report.overBudget.length > 0 || report.capacityProblems.length > 0) {
            const why = [...(report.overBudget.length > 0 ? [`over budget: ${report.overBudget.join(", ")}`] : []), ...report.capacityProblems].join("; ");
            reportViolation(
                `${why}. Scale replicas or requests down in components/catalog/, add nodes to the pool, or raise the target knowingly.\n${formatTable(report)}`,
            );
        }
    },
};

export const namespacesHaveQuotas: StackValidationPolicy = {
    name: "platform-namespaces-have-quotas",
    description: "Every namespace the platform owns has a ResourceQuota with CPU and memory requests and limits, and names its pool.",
    enforcementLevel: "mandatory",
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
        const report = budgetReport(args.resources, budgetDefaults);
        for (const problem of report.tenancyProblems) {
            reportViolation(`${problem}. Create the namespace through the tenancy layer (components/tenancy.ts), which adds the quota.`);
        }
    },
};
