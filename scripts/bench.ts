// `npm run bench [-- --runs N]`
//
// Measures how long the program takes to start and run, the way `pulumi preview` starts it:
// a fresh Node process per run that loads the TypeScript program as the Pulumi CLI's Node.js
// host does (scripts/bench-child.cjs: ts-node with the project's tsconfig.json, transpile-only
// when it says noCheck), then runs it under the tests' mocks. Each stack file is timed beside
// a bare program in the same run: scripts/bench-baseline.ts, one RandomString from
// @pulumi/random, loaded and run the same way. Prints the median and spread of N runs
// (default 5), the ratio to the bare program, the resources and the longest chain of Helm
// releases that wait on each other.

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { option } from "./lib/args";
import { type CapturedResource, projectRoot, runStackFile } from "./lib/harness";

const stacks = ["dev", "prod", "prod-aks"];
const releaseType = "kubernetes:helm.sh/v3:Release";
const child = path.join(__dirname, "bench-child.cjs");
export const baselineProgram = path.join(__dirname, "bench-baseline.ts");

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Timing {
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly typeChecked: boolean;
}

/** Wall time of `runs` fresh processes starting and running the program (ms). */
export function timeStarts(stack: string, runs: number, program?: string): Timing {
    const times: number[] = [];
    let typeChecked = false;
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const result = spawnSync(process.execPath, [child, projectRoot, stack, ...(program ? [program] : [])], { encoding: "utf8" });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (result.status !== 0) {
            throw new Error(`the program for ${stack} failed to run: ${result.stderr.trim()}`);
        }
        typeChecked = (JSON.parse(result.stdout.trim().split("\n").pop()!) as { typeChecked: boolean }).typeChecked;
        times.push(ms);
    }
    return { median: median(times), min: Math.min(...times), max: Math.max(...times), typeChecked };
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
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    const spread = (t: Timing) => `${seconds(t.min)}–${seconds(t.max)}`;
    const baseline = timeStarts("dev", runs, baselineProgram);
    console.log(`fresh process per run, ${runs} runs each, loaded as the Pulumi CLI loads the program (${baseline.typeChecked ? "type-checked" : "transpile-only"}), under mocks`);
    console.log(`bare program (one RandomString): median ${seconds(baseline.median)} s (${spread(baseline)} s)\n`);
    console.log(["stack", "resources", "median s", "spread s", "ratio to bare", "longest Helm chain"].join("\t"));
    for (const stack of stacks) {
        const timing = timeStarts(stack, runs);
        const run = await runStackFile(stack);
        if (run.error) {
            throw run.error;
        }
        console.log([stack, run.resources.length, seconds(timing.median), spread(timing), (timing.median / baseline.median).toFixed(2), longestReleaseChain(run.resources)].join("\t"));
    }
}

if (require.main === module) {
    void main();
}
