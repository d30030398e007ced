// `npm run budget -- --stack <name> [--apps '<fawkes:apps JSON>'] [--markdown <file>] [--target <0..1>]`
//
// Runs the program for a stack file under mocks (offline, as the tests do) and prints the
// per-pool budget table the policy pack enforces, computed by the same code
// (policy/lib/budget.ts). With --markdown it also writes the table as Markdown for CI to
// post on the pull request. --apps tries other app switches without editing the stack
// file. For a kind stack it also prints what the laptop needs: the steady-state requests,
// the quota ceiling, kind's overhead and the Docker memory and CPUs to give it. Exits 1
// when the stack is over budget.

import * as fs from "node:fs";
import { type BudgetReport, budgetReport, formatMarkdown, formatTable } from "../policy/lib/budget";
import { budgetDefaults } from "../policy/policies/settings";
import { poolDemand } from "../components/budget";
import { stackCatalog } from "../components/catalog";
import { kindOverhead } from "../components/cluster/kind-preflight";
import { runStackFile, stackFileConfig } from "./lib/harness";
import { stackConfig } from "./lib/stacks";
import { analyzedResources } from "./lib/policy-input";
import { option, requireOption } from "./lib/args";

export interface StackBudget {
    readonly report: BudgetReport;
    /** One line: within budget, over budget (where), or unknown (why). */
    readonly verdict: string;
    readonly markdown: string;
}

/** The budget of a stack file, evaluated as the policy pack does. */
export async function stackBudget(stack: string, targetOverride?: number, apps?: Record<string, boolean>): Promise<StackBudget> {
    const run = await runStackFile(stack, apps === undefined ? undefined : (c) => (c["fawkes:apps"] = apps));
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
    const appsOption = option("apps");
    let budget: StackBudget;
    let laptop: string | undefined;
    try {
        const apps = appsOption === undefined ? undefined : (JSON.parse(appsOption) as Record<string, boolean>);
        budget = await stackBudget(stack, target === undefined ? undefined : Number(target), apps);
        laptop = laptopNeeds(stack, budget.report, apps);
    } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
    }
    console.log(`Stack ${stack}: ${budget.verdict}\n`);
    console.log(formatTable(budget.report));
    for (const problem of budget.report.tenancyProblems) {
        console.log(`! ${problem}`);
    }
    if (laptop !== undefined) {
        console.log(`\n${laptop}`);
    }
    const markdownFile = option("markdown");
    if (markdownFile) {
        fs.writeFileSync(markdownFile, budget.markdown);
        console.log(`\nwrote ${markdownFile}`);
    }
    process.exitCode = budget.report.overBudget.length > 0 || budget.report.capacityProblems.length > 0 ? 1 : 0;
}

/** What a kind stack asks of the Docker host, by the numbers the preflight checks. */
export function laptopNeeds(stack: string, report: BudgetReport, apps?: Record<string, boolean>): string | undefined {
    const raw = stackFileConfig(stack);
    if (apps !== undefined) {
        raw["fawkes:apps"] = apps;
    }
    const config = stackConfig(stack, raw);
    if (config.cluster.provider !== "kind") {
        return undefined;
    }
    const pools = [...config.cluster.pools, { name: "control-plane", count: 1 }];
    const demand = [...poolDemand(stackCatalog(config), pools).values()];
    const steady = { cpu: demand.reduce((n, d) => n + d.requests.cpu, 0), memory: demand.reduce((n, d) => n + d.requests.memory, 0) };
    const nodes = pools.reduce((n, p) => n + p.count, 0);
    const overhead = kindOverhead(nodes);
    const ceiling = report.total.requests;
    const gib = (bytes: number) => `${(Math.ceil((bytes / 1024 ** 3) * 10) / 10).toFixed(1)} GiB`;
    const cpus = (m: number) => `${(Math.ceil(m / 100) / 10).toFixed(1)}`;
    const needMemory = steady.memory + overhead.memoryBytes;
    const needCpu = steady.cpu + overhead.cpuMillicores;
    return [
        `Laptop (kind, ${nodes} nodes):`,
        `  steady-state requests   ${cpus(steady.cpu)} CPUs / ${gib(steady.memory)}   (long-running pods, as rendered)`,
        `  quota ceiling           ${cpus(ceiling.cpu)} CPUs / ${gib(ceiling.memory)}   (with Jobs and transient pods; what the budget above admits)`,
        `  kind overhead           ${cpus(overhead.cpuMillicores)} CPUs / ${gib(overhead.memoryBytes)}`,
        `  Docker needs at least   ${gib(needMemory)} of memory (the preflight's check) and 2 CPUs; ${Math.max(2, Math.ceil(needCpu / 1000))} CPUs to run without CPU contention`,
    ].join("\n");
}

if (require.main === module) {
    void main();
}
