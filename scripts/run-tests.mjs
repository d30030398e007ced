// `npm test`: type-check, lint and the mocha suite, side by side (CI machines have 2
// cores), then a closing `N passed, N failed` line that counts the two static checks and
// every mocha test (skipped ones separately).
//
// The suite runs as two mocha processes, so both cores work for the whole run: the render
// checks (which share their renders) and the policy pack in one, everything else in the other. Each prints its
// report when it ends, in a fixed order, and its counts on a last line the parent reads.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const countsMarker = "fawkes-test-counts ";

/** Runs a command in the background; its output is kept to print when it is done. */
function run(title, command, args) {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (status) => resolve({ title, ok: status === 0, output, seconds: ((Date.now() - started) / 1000).toFixed(1) }));
    });
}

/** Worker mode: run the given spec files with mocha, then print the counts. */
function worker(files) {
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    const Mocha = require("mocha");
    const mocha = new Mocha({ timeout: 20_000, reporter: "spec" });
    files.forEach((f) => mocha.addFile(path.join(root, "test", f)));
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const runner = mocha.run(() => {
        console.log(`${countsMarker}${JSON.stringify(counts)}`);
        process.exitCode = counts.failed > 0 ? 1 : 0;
    });
    runner.on("pass", () => counts.passed++);
    runner.on("fail", () => counts.failed++);
    runner.on("pending", () => counts.skipped++);
}

// tsconfig.json says noCheck (for the Pulumi CLI's start-up); the suite type-checks regardless.
const typeCheckArgs = ["--noEmit", "--noCheck", "false", "-p"];

/**
 * The first process: the specs that render the charts (one process, so each target renders
 * once) and the policy pack's, which balances the two by their cold run times (renders dominate).
 */
const firstGroup = /^(render|least-privilege|admission|admission-rules|hostile-changes|pss|schemas|policy)\.spec\.ts$/;

async function main() {
    const staticChecks = Promise.all([run("tsc --noEmit --noCheck false", bin("tsc"), [...typeCheckArgs, root]), run("eslint", bin("eslint"), ["."])]);
    const specs = readdirSync(path.join(root, "test"), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".spec.ts"))
        .sort();
    const groups = [specs.filter((f) => firstGroup.test(path.basename(f))), specs.filter((f) => !firstGroup.test(path.basename(f)))].filter((g) => g.length > 0);
    const self = path.join(root, "scripts", "run-tests.mjs");
    const workers = await Promise.all(groups.map((files, i) => run(`mocha ${i + 1}`, process.execPath, [self, "--worker", ...files])));

    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const w of workers) {
        const lines = w.output.split("\n");
        const countsLine = lines.find((l) => l.startsWith(countsMarker));
        process.stdout.write(lines.filter((l) => !l.startsWith(countsMarker)).join("\n"));
        if (countsLine === undefined) {
            // The worker died before mocha finished: count it as a failure, with its output above.
            console.log(`\n    ✖ ${w.title} ended without a result (${w.seconds} s)`);
            failed++;
            continue;
        }
        const counts = JSON.parse(countsLine.slice(countsMarker.length));
        passed += counts.passed;
        failed += counts.failed;
        skipped += counts.skipped;
        console.log(`    (${w.title}: ${w.seconds} s)`);
    }
    console.log("\n  static checks");
    for (const result of await staticChecks) {
        process.stdout.write(result.output);
        console.log(`    ${result.ok ? "✔" : "✖"} ${result.title}${result.ok ? "" : " failed"} (${result.seconds} s)`);
        result.ok ? passed++ : failed++;
    }
    console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
    process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[2] === "--worker") {
    worker(process.argv.slice(3));
} else {
    await main();
}
