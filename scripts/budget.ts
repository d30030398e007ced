// `npm run budget -- --stack <name> [--markdown <file>] [--target <0..1>]`
//
// Runs the program for a stack file under mocks (offline, as the tests do) and prints the
// per-pool budget table the policy pack enforces, computed by the same code
// (policy/lib/budget.ts). With --markdown it also writes the table as Markdown for CI to
// post on the pull request. Exits 1 when the stack is over budget.

import * as fs from "node:fs";
import { type BudgetReport, budgetReport, formatMarkdown, formatTable } from "../policy/lib/budget";
import { budgetDefaults } from "../policy/policies/settings";
import { runStackFile } from "./lib/harness";
import { analyzedResources } from "./lib/policy-input";
import { option, requireOption } from "./lib/args";

export interface StackBudget {
    readonly report: BudgetReport;
    /** One line: within budget, over budget (where), or unknown (why). */
    readonly verdict: string;
    readonly markdown: string;
}

/** The budget of a stack file, evaluated as the policy pack does. */
export async function stackBudget(stack: string, targetOverride?: number): Promise<StackBudget> {
    const run = await runStackFile(stack);
    if (run.error) {
        throw run.error;
    }
    const declared = Number(run.outputs.budgetTargetUtilization);
    const target = targetOverride ?? Math.min(budgetDefaults.targetUtilization, declared || 1);
    const report = budgetReport(analyzedResources(run), { ...budgetDefaults, targetUtilization: target });
    const verdict =
        report.overBudget.length > 0
            ? `over budget: ${report.overBudget.join(", ")}`
            : report.capacityProblems.length > 0
              ? `budget unknown: ${report.capacityProblems.join("; ")}`
              : `within budget (${(target * 100).toFixed(0)} % of allocatable, ${report.reservationModel} reservations)`;
    const markdown = [`### Resource budget: \`${stack}\``, "", `**${verdict}**`, "", formatMarkdown(report), ""].join("\n");
    return { report, verdict, markdown };
}

async function main(): Promise<void> {
    const stack = requireOption("stack", "a stack file name, e.g. --stack dev for Pulumi.dev.yaml");
    const target = option("target");
    let budget: StackBudget;
    try {
        budget = await stackBudget(stack, target === undefined ? undefined : Number(target));
    } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
    }
    console.log(`Stack ${stack}: ${budget.verdict}\n`);
    console.log(formatTable(budget.report));
    for (const problem of budget.report.tenancyProblems) {
        console.log(`! ${problem}`);
    }
    const markdownFile = option("markdown");
    if (markdownFile) {
        fs.writeFileSync(markdownFile, budget.markdown);
        console.log(`\nwrote ${markdownFile}`);
    }
    process.exitCode = budget.report.overBudget.length > 0 || budget.report.capacityProblems.length > 0 ? 1 : 0;
}

if (require.main === module) {
    void main();
}
