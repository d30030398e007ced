// `npm run bench [-- --runs N]`
//
// Times the real program under mocks for each stack file (median of N runs, after one
// warm-up) beside a one-resource program run the same way in the same process, and
// reports the ratio, the number of resources, and the longest chain of Helm releases that
// wait on each other after the cluster.

import * as path from "node:path";
import { type CapturedResource, type RunResult, runProgram, runStackFile, stackFileConfig } from "./lib/harness";
import { option } from "./lib/args";

const stacks = ["dev", "prod", "prod-aks"];
const releaseType = "kubernetes:helm.sh/v3:Release";

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(fn: () => Promise<RunResult>, runs: number): Promise<{ ms: number; result: RunResult }> {
    let result = await fn(); // warm-up: module loading and compilation
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        result = await fn();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return { ms: median(times), result };
}

/** Most Helm releases on one dependency path (1 = all releases install side by side). */
export function longestReleaseChain(resources: readonly CapturedResource[]): number {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const memo = new Map<string, number>();
    const depth = (r: CapturedResource): number => {
        const known = memo.get(r.urn);
        if (known !== undefined) {
            return known;
        }
        memo.set(r.urn, 0); // cycle guard; dependency graphs are acyclic
        const below = Math.max(0, ...r.dependencies.map((d) => byUrn.get(d)).filter((d): d is CapturedResource => d !== undefined).map(depth));
        const value = below + (r.type === releaseType ? 1 : 0);
        memo.set(r.urn, value);
        return value;
    };
    return Math.max(0, ...resources.map(depth));
}

async function main(): Promise<void> {
    const runs = Number(option("runs", "5"));
    const baselineProgram = path.join(__dirname, "bench-baseline.ts");
    const baseline = await timed(() => runProgram("dev", stackFileConfig("dev"), { program: baselineProgram }), runs);
    console.log(`median of ${runs} runs each, under Pulumi mocks (offline)\n`);
    console.log(["stack", "resources", "median ms", "baseline ms", "ratio", "longest Helm chain"].join("\t"));
    for (const stack of stacks) {
        // runStackFile, not the cached runStackFileOk: every run must really run the program.
        const { ms, result } = await timed(() => runStackFile(stack), runs);
        if (result.error) {
            throw result.error;
        }
        console.log([stack, result.resources.length, ms.toFixed(0), baseline.ms.toFixed(0), (ms / baseline.ms).toFixed(1), longestReleaseChain(result.resources)].join("\t"));
    }
}

if (require.main === module) {
    void main();
}
