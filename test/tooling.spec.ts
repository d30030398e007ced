import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { longestReleaseChain } from "../scripts/bench";
import { stackBudget } from "../scripts/budget";
import { diagramSection, readmePath, replaceSection } from "../scripts/diagram";
import { projectRoot, runStackFileOk } from "../scripts/lib/harness";

const workflowsDir = path.join(projectRoot, ".github", "workflows");
const actionlint = path.join(projectRoot, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");

/** Runs actionlint (wasm) over the workflows in `dir`/.github/workflows. */
function lintWorkflows(dir: string): { status: number | null; output: string } {
    const result = spawnSync(process.execPath, [actionlint], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function copyWorkflows(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-workflows-"));
    fs.cpSync(workflowsDir, path.join(dir, ".github", "workflows"), { recursive: true });
    return dir;
}

describe("GitHub workflows", function () {
    this.timeout(60_000);

    it("pass actionlint, which does reject a broken copy linted beside them", () => {
        // One linter run (the wasm start-up is the slow part): the real workflows plus a copy
        // of one with a typo, which must be the only file reported.
        const dir = copyWorkflows();
        const broken = fs.readFileSync(path.join(workflowsDir, "test.yml"), "utf8").replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latst");
        fs.writeFileSync(path.join(dir, ".github", "workflows", "zz-broken-copy.yml"), broken);
        const { status, output } = lintWorkflows(dir);
        // Every workflow of the repository, plus the broken copy.
        const workflows = fs.readdirSync(path.join(projectRoot, ".github", "workflows")).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith("zz-broken")).length;
        assert.ok(workflows >= 4, "test, preview, deploy and e2e at least");
        assert.match(output, new RegExp(`Checking ${workflows + 1} workflow file\\(s\\)`));
        assert.equal(status, 1);
        const reported = [...output.matchAll(/^\.github\/workflows\/([\w.-]+):\d+:\d+ /gm)].map((m) => m[1]);
        assert.deepEqual([...new Set(reported)], ["zz-broken-copy.yml"], output);
        assert.match(output, /label "ubuntu-latst" is unknown/);
    });

    it("preview every PR for dev and prod with the policy pack, and post the diff and the budget table", () => {
        const preview = fs.readFileSync(path.join(workflowsDir, "preview.yml"), "utf8");
        assert.match(preview, /stack: \[dev, prod\]/);
        assert.match(preview, /command: preview/);
        assert.match(preview, /comment-on-pr: true/);
        assert.match(preview, /policyPacks: policy\n/);
        assert.match(preview, /npm run budget -- --stack "\$\{\{ matrix\.stack \}\}" --markdown budget\.md/);
        const deploy = fs.readFileSync(path.join(workflowsDir, "deploy.yml"), "utf8");
        assert.match(deploy, /environment: production/);
        assert.match(deploy, /needs: dev/);
    });

    it("take credentials only from repository secrets or OIDC", () => {
        for (const file of fs.readdirSync(workflowsDir)) {
            for (const line of fs.readFileSync(path.join(workflowsDir, file), "utf8").split("\n")) {
                const m = /^\s*([\w-]*(token|key|secret|password|arn)[\w-]*):\s*(\S.*)$/i.exec(line);
                // `id-token: write` is the OIDC permission itself, not a credential.
                if (m && m[1] !== "id-token") {
                    assert.match(m[3], /^\$\{\{ (secrets\.[A-Z_]+|github\.token) \}\}$/, `${file}: ${line.trim()}`);
                }
            }
        }
    });
});

describe("reports", function () {
    this.timeout(60_000);

    it("the README diagrams are up to date (else run `npm run diagram`)", async () => {
        const readme = fs.readFileSync(readmePath, "utf8");
        assert.ok(replaceSection(readme, await diagramSection()) === readme, "README diagrams are stale: run `npm run diagram`");
    });

    it("counts the longest chain of dependent Helm releases: one step for every stack", async () => {
        for (const stack of ["dev", "prod", "prod-aks"]) {
            assert.equal(longestReleaseChain((await runStackFileOk(stack)).resources), 1, stack);
        }
    });

    it("`npm run budget` gives the verdict and the per-pool table as Markdown, from the policy's code", async () => {
        const budget = await stackBudget("prod");
        assert.match(budget.verdict, /^within budget \(70 % of allocatable, tiered reservations\)$/);
        assert.match(budget.markdown, /^\| platform \| \d+m \/ \d+Mi \|/m);
        const strict = await stackBudget("prod", 0.2);
        assert.match(strict.verdict, /^over budget: platform cpu/);
    });
});

describe("type-checking", function () {
    this.timeout(120_000);

    it("is off when the Pulumi CLI starts the program (tsconfig noCheck), on in npm test: a planted type error fails the suite's tsc", () => {
        const tsconfig = fs.readFileSync(path.join(projectRoot, "tsconfig.json"), "utf8");
        assert.match(tsconfig, /"noCheck": true/);
        const runner = fs.readFileSync(path.join(projectRoot, "scripts", "run-tests.mjs"), "utf8");
        const args = /const typeCheckArgs = (\[[^\]]*\]);/.exec(runner);
        assert.ok(args, "scripts/run-tests.mjs names the arguments it type-checks with");
        const typeCheckArgs = JSON.parse(args[1]) as string[];
        assert.deepEqual(typeCheckArgs.slice(0, 3), ["--noEmit", "--noCheck", "false"]);
        // A project of one file with a type error, under the project's own tsconfig (outside the
        // folders the suite's own tsc and eslint read, which run at the same time).
        const cache = path.join(projectRoot, "node_modules", ".cache");
        fs.mkdirSync(cache, { recursive: true });
        const dir = fs.mkdtempSync(path.join(cache, "fawkes-planted-"));
        try {
            fs.writeFileSync(path.join(dir, "planted.ts"), 'const count: number = "three";\nexport default count;\n');
            fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: path.join(projectRoot, "tsconfig.json"), include: ["planted.ts"], exclude: [], compilerOptions: { rootDir: "." } }));
            const tsc = path.join(projectRoot, "node_modules", ".bin", "tsc");
            const checked = spawnSync(tsc, [...typeCheckArgs, dir], { encoding: "utf8" });
            assert.notEqual(checked.status, 0);
            assert.match(checked.stdout, /planted\.ts\(1,7\): error TS2322/);
            // The same file passes when only transpiled, which is what noCheck gives the CLI.
            const transpiled = spawnSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8" });
            assert.equal(transpiled.status, 0, transpiled.stdout);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
