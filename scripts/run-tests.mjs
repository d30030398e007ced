// `npm test`: type-check, lint and the mocha suite, side by side (CI machines have 2
// cores), then a closing `N passed, N failed` line that counts the two static checks and
// every mocha test (skipped ones separately).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** Runs a static check in the background; its output is kept to print after the suite. */
function check(title, command, args) {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (status) => resolve({ title, ok: status === 0, output, seconds: ((Date.now() - started) / 1000).toFixed(1) }));
    });
}

// tsconfig.json says noCheck (for the Pulumi CLI's start-up); the suite type-checks regardless.
const typeCheckArgs = ["--noEmit", "--noCheck", "false", "-p"];
const staticChecks = Promise.all([check("tsc --noEmit --noCheck false", bin("tsc"), [...typeCheckArgs, root]), check("eslint", bin("eslint"), ["."])]);

require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
const Mocha = require("mocha");
const mocha = new Mocha({ timeout: 20_000, reporter: "spec" });
readdirSync(path.join(root, "test"), { recursive: true })
    .filter((f) => f.endsWith(".spec.ts"))
    .sort()
    .forEach((f) => mocha.addFile(path.join(root, "test", f)));

let passed = 0;
let failed = 0;
let skipped = 0;
const runner = mocha.run(async () => {
    console.log("\n  static checks");
    for (const result of await staticChecks) {
        process.stdout.write(result.output);
        console.log(`    ${result.ok ? "✔" : "✖"} ${result.title}${result.ok ? "" : " failed"} (${result.seconds} s)`);
        result.ok ? passed++ : failed++;
    }
    console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
    process.exitCode = failed > 0 ? 1 : 0;
});
runner.on("pass", () => passed++);
runner.on("fail", () => failed++);
runner.on("pending", () => skipped++);
