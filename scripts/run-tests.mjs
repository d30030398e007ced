// `npm test`: type-check, lint, then the mocha suite, and a closing `N passed, N failed`
// line that counts the two static checks and every mocha test (skipped ones separately).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
let passed = 0;
let failed = 0;
let skipped = 0;

function check(title, command, args) {
    const started = Date.now();
    const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status === 0) {
        passed++;
        console.log(`  ✔ ${title} (${seconds} s)`);
    } else {
        failed++;
        console.log(`  ✖ ${title} failed (${seconds} s)`);
    }
}

console.log("static checks");
check("tsc --noEmit", bin("tsc"), ["--noEmit", "-p", root]);
check("eslint", bin("eslint"), ["."]);

require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
const Mocha = require("mocha");
const mocha = new Mocha({ timeout: 20_000, reporter: "spec" });
const specs = readdirSync(path.join(root, "test"), { recursive: true })
    .filter((f) => f.endsWith(".spec.ts"))
    .sort()
    .map((f) => path.join(root, "test", f));
specs.forEach((f) => mocha.addFile(f));

const runner = mocha.run(() => {
    const summary = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    console.log(`\n${summary}`);
    process.exitCode = failed > 0 ? 1 : 0;
});
runner.on("pass", () => passed++);
runner.on("fail", () => failed++);
runner.on("pending", () => skipped++);
