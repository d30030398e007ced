import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { longestReleaseChain } from "../scripts/bench";
import { stackBudget } from "../scripts/budget";
import { diagramSection, readmePath, replaceSection } from "../scripts/diagram";
import { projectRoot, runStackFileOk } from "../scripts/lib/harness";
import { actionPins, parseWorkflow, readWorkflows, type Workflow, type WorkflowJob } from "../scripts/lib/workflows";

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
                // `id-token: write` is the OIDC permission itself; pulumi/auth-actions' token type
                // and lifetime are settings of the OIDC exchange, not credentials.
                if (m && !["id-token", "requested-token-type", "token-expiration"].includes(m[1])) {
                    assert.match(m[3], /^\$\{\{ (secrets\.[A-Z_]+|github\.token) \}\}$/, `${file}: ${line.trim()}`);
                }
            }
        }
    });
});

// The commits of the tags each action is pinned to, read from the actions' own repositories
// (`git rev-parse <tag>^{commit}` in a fetched copy). A new version is a reviewed edit here.
const verifiedPins: Record<string, { version: string; sha: string }> = {
    "actions/checkout": { version: "v5.1.0", sha: "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09" },
    "actions/setup-node": { version: "v6.5.0", sha: "249970729cb0ef3589644e2896645e5dc5ba9c38" },
    "aws-actions/configure-aws-credentials": { version: "v6.2.3", sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c" },
    "azure/use-kubelogin": { version: "v1.3", sha: "0ce7c36141aa27d4934872cf00b0120804c98a29" },
    "pulumi/actions": { version: "v7.0.0", sha: "8e5e406f4007fca908480587cb9893c07090f58d" },
    "pulumi/auth-actions": { version: "v2.1.0", sha: "141415910c3beb54e03b48e9057c204c97b956f2" },
};

/** Secrets that only the deploy jobs on main may name: the token that can `up`, the deploy role and identity. */
const deploySecrets = ["PULUMI_ACCESS_TOKEN", "AWS_DEPLOY_ROLE_ARN", "AZURE_DEPLOY_CLIENT_ID"];
/** The environments whose deployment branches are main only (see deploy.yml). */
const mainOnlyEnvironments = ["dev", "production"];

function triggers(wf: Workflow): string[] {
    if (typeof wf.on === "string") return [wf.on];
    if (Array.isArray(wf.on)) return wf.on.map(String);
    return Object.keys(wf.on ?? {});
}

/** What PR code can reach: no deploy secret, no main-only environment, OIDC only when approved. */
function pullRequestProblems(workflows: Workflow[]): string[] {
    const problems: string[] = [];
    for (const wf of workflows) {
        const on = triggers(wf);
        for (const risky of ["pull_request_target", "workflow_run"]) {
            if (on.includes(risky)) problems.push(`${wf.file}: triggered by ${risky}, which runs PR-influenced work with the base repository's secrets`);
        }
        // The file's text without its comment lines (which explain the design in these terms).
        const code = wf.text.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
        // actions/checkout's own switch for running a fork's code in the base repository's context.
        if (code.includes("allow-unsafe-pr-checkout")) problems.push(`${wf.file}: sets allow-unsafe-pr-checkout`);
        // No checkout leaves the job's token in .git/config for later steps (npm scripts included).
        const checkouts = (wf.text.match(/uses: actions\/checkout@/g) ?? []).length;
        const unpersisted = (wf.text.match(/uses: actions\/checkout@[^\n]*\n {8}with:\n {10}persist-credentials: false\n/g) ?? []).length;
        if (checkouts !== unpersisted) problems.push(`${wf.file}: ${checkouts - unpersisted} checkout(s) without persist-credentials: false`);
        if (!on.includes("pull_request")) continue;
        for (const name of deploySecrets) {
            if (code.includes(name)) problems.push(`${wf.file}: runs on pull requests and names ${name}`);
        }
        for (const job of wf.jobs) {
            const id = `${wf.file}/${job.name}`;
            if (job.environment && mainOnlyEnvironments.includes(job.environment)) problems.push(`${id}: environment ${job.environment} in a workflow that runs on pull requests`);
            const oidc = JSON.stringify(job.permissions ?? {}).includes('"id-token":"write"');
            const credentialed = oidc || job.secrets.length > 0;
            if (credentialed && job.environment !== "preview") problems.push(`${id}: credentials (${oidc ? "id-token: write" : job.secrets.join(", ")}) outside the approved preview environment`);
            const unexpected = job.secrets.filter((s) => s !== "AWS_PREVIEW_ROLE_ARN");
            if (unexpected.length > 0) problems.push(`${id}: names secrets ${unexpected.join(", ")}`);
            if (job.uses.some((u) => u.startsWith("pulumi/actions@")) && !job.uses.some((u) => u.startsWith("pulumi/auth-actions@"))) {
                problems.push(`${id}: runs pulumi without the OIDC token exchange`);
            }
        }
    }
    const preview = workflows.find((wf) => wf.file === "preview.yml");
    if (!preview) return [...problems, "preview.yml is missing"];
    if (!/requested-token-type: urn:pulumi:token-type:access_token:team\n\s*scope: team:\$\{\{ vars\.PULUMI_PREVIEW_TEAM \}\}/.test(preview.text)) {
        problems.push("preview.yml: the Pulumi token is not the preview team's");
    }
    return problems;
}

const onMain = "github.ref == 'refs/heads/main'";
/** The main-branch condition, or it narrowed further with `&&` (an `||` could widen it). */
const mainOnly = (condition: string | undefined) => condition === onMain || (condition !== undefined && condition.startsWith(`${onMain} && `) && !condition.includes("||"));

/** Deploy jobs: only a push to main, each job gated to main, in a main-only environment. */
function deployProblems(workflows: Workflow[]): string[] {
    const problems: string[] = [];
    const deploy = workflows.find((wf) => wf.file === "deploy.yml");
    if (!deploy) return ["deploy.yml is missing"];
    if (JSON.stringify(deploy.on) !== JSON.stringify({ push: { branches: ["main"] } })) problems.push(`deploy.yml: triggered by ${JSON.stringify(deploy.on)}, not only a push to main`);
    for (const job of deploy.jobs) {
        const id = `deploy.yml/${job.name}`;
        if (!mainOnly(job.if)) problems.push(`${id}: if is ${JSON.stringify(job.if)}, not github.ref == 'refs/heads/main' (optionally && more)`);
        if (!job.environment || !mainOnlyEnvironments.includes(job.environment)) problems.push(`${id}: environment ${job.environment ?? "(none)"}`);
    }
    if (deploy.jobs.find((j) => j.name === "prod")?.environment !== "production") problems.push("deploy.yml/prod: not in the production environment");
    for (const wf of workflows) {
        for (const job of wf.jobs) {
            const named = job.secrets.filter((s) => deploySecrets.includes(s));
            const inDeploy = wf.file === "deploy.yml" && job.environment !== undefined && mainOnlyEnvironments.includes(job.environment);
            if (named.length > 0 && !inDeploy) problems.push(`${wf.file}/${job.name}: names ${named.join(", ")} outside the deploy jobs`);
            if (job.environment === "production" && wf.file !== "deploy.yml") problems.push(`${wf.file}/${job.name}: production environment outside deploy.yml`);
        }
    }
    return problems;
}

/** The reviewed permissions of every job; nothing at the top of any workflow. */
const jobPermissions: Record<string, Record<string, string>> = {
    "deploy.yml/dev": { contents: "read" },
    "deploy.yml/prod": { contents: "read", "id-token": "write" },
    "deploy.yml/prod-aks": { contents: "read", "id-token": "write" },
    "e2e.yml/e2e": { contents: "read" },
    "preview.yml/budget": { contents: "read", "pull-requests": "write" },
    "preview.yml/preview": { contents: "read", "id-token": "write", "pull-requests": "write" },
    "test.yml/test": { contents: "read" },
};

function permissionProblems(workflows: Workflow[]): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const wf of workflows) {
        if (JSON.stringify(wf.permissions) !== "{}") problems.push(`${wf.file}: top-level permissions ${JSON.stringify(wf.permissions)}, expected {} (each job asks for its own)`);
        for (const job of wf.jobs) {
            const id = `${wf.file}/${job.name}`;
            seen.add(id);
            const expected = jobPermissions[id];
            if (!expected) problems.push(`${id}: no reviewed permissions in the test's table`);
            else if (JSON.stringify(job.permissions) !== JSON.stringify(expected)) problems.push(`${id}: permissions ${JSON.stringify(job.permissions)}, reviewed ${JSON.stringify(expected)}`);
        }
    }
    for (const id of Object.keys(jobPermissions)) if (!seen.has(id)) problems.push(`${id}: in the table but not in the workflows`);
    return problems;
}

/** The workflows with one file's text changed, for the planted widenings. */
function withEdit(workflows: Workflow[], file: string, from: string | RegExp, to: string): Workflow[] {
    return workflows.map((wf) => {
        if (wf.file !== file) return wf;
        const text = wf.text.replace(from, to);
        assert.notEqual(text, wf.text, `the planted edit of ${file} must change it`);
        return parseWorkflow(file, text);
    });
}

describe("CI boundaries of the GitHub workflows", function () {
    const workflows = readWorkflows(workflowsDir);

    it("pin every third-party action by a full commit SHA with its version in a comment, the commits of those tags", () => {
        assert.deepEqual(workflows.map((wf) => wf.file), ["deploy.yml", "e2e.yml", "preview.yml", "test.yml"]);
        for (const wf of workflows) {
            const { pins, problems } = actionPins(wf.file, wf.text);
            assert.deepEqual(problems, []);
            // Every `uses:` the YAML has was seen by the line check (none in a form it skips).
            const remote = wf.jobs.flatMap((j) => j.uses).filter((u) => !u.startsWith("./"));
            assert.deepEqual(pins.map((p) => `${p.action}@${p.sha}`), remote, wf.file);
            for (const pin of pins) assert.deepEqual({ version: pin.version, sha: pin.sha }, verifiedPins[pin.action], `${wf.file}: ${pin.action}`);
        }
        // A tag, a short SHA and a SHA without its version comment are each refused.
        const planted = actionPins("planted.yml", ["      - uses: actions/checkout@v4", "      - uses: actions/checkout@fbc6f39 # v5.1.0", "        uses: actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38", "      - uses: ./local-action"].join("\n"));
        assert.deepEqual(planted.pins, []);
        assert.deepEqual(planted.problems, [
            "planted.yml:1: - uses: actions/checkout@v4: not pinned by a full 40-hex commit SHA",
            'planted.yml:1: - uses: actions/checkout@v4: no "# vX[.Y.Z]" comment naming the version',
            "planted.yml:2: - uses: actions/checkout@fbc6f39 # v5.1.0: not pinned by a full 40-hex commit SHA",
            'planted.yml:3: uses: actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38: no "# vX[.Y.Z]" comment naming the version',
        ]);
    });

    it("give pull-request code no deploy token and no production environment; Pulumi and AWS only by OIDC in the approved preview environment", () => {
        assert.deepEqual(pullRequestProblems(workflows), []);
        const jobs = workflows.find((wf) => wf.file === "preview.yml")?.jobs ?? [];
        assert.deepEqual(jobs.map((j) => [j.name, j.environment ?? null, j.if ?? null]), [
            ["budget", null, null],
            ["preview", "preview", "github.event.pull_request.head.repo.full_name == github.repository"],
        ]);
        // Each widening is refused.
        const env = "      PULUMI_ACCESS_TOKEN: $" + "{{ secrets.PULUMI_ACCESS_TOKEN }}\n";
        const widenings: [string, string | RegExp, string, RegExp][] = [
            ["preview.yml", "    environment: preview\n", "", /preview\.yml\/preview: credentials \(id-token: write\) outside the approved preview environment/],
            ["preview.yml", "on:\n  pull_request:\n", "on:\n  pull_request_target:\n", /preview\.yml: triggered by pull_request_target/],
            ["preview.yml", "    steps:\n", "    env:\n" + env + "    steps:\n", /preview\.yml: runs on pull requests and names PULUMI_ACCESS_TOKEN/],
            ["preview.yml", "    environment: preview\n", "    environment: production\n", /preview\.yml\/preview: environment production in a workflow that runs on pull requests/],
            ["preview.yml", "access_token:team", "access_token:organization", /the Pulumi token is not the preview team's/],
            ["preview.yml", /\n {6}- name: Pulumi Cloud token[^\n]*\n {8}uses: pulumi\/auth-actions@[^\n]*\n {8}with:\n( {10}[^\n]*\n){4}/, "\n", /preview\.yml\/preview: runs pulumi without the OIDC token exchange/],
            ["deploy.yml", /persist-credentials: false/, "persist-credentials: true", /deploy\.yml: 1 checkout\(s\) without persist-credentials: false/],
            ["test.yml", "    steps:\n", "    env:\n      X: $" + "{{ secrets.AWS_PREVIEW_ROLE_ARN }}\n    steps:\n", /test\.yml\/test: credentials \(AWS_PREVIEW_ROLE_ARN\) outside the approved preview environment/],
        ];
        for (const [file, from, to, refused] of widenings) {
            const problems = pullRequestProblems(withEdit(workflows, file, from, to));
            assert.ok(problems.some((p) => refused.test(p)), `${file}: ${String(from)} -> ${to}: ${JSON.stringify(problems)}`);
        }
    });

    it("run the deploy jobs only for main, in the main-only dev and production environments, the only jobs with the deploy secrets", () => {
        assert.deepEqual(deployProblems(workflows), []);
        const widenings: [string, string | RegExp, string, RegExp][] = [
            ["deploy.yml", /(\n {2}prod:\n {4}needs: dev\n) {4}if: [^\n]*\n/, "$1", /deploy\.yml\/prod: if is undefined/],
            ["deploy.yml", "    environment: production\n", "    environment: staging\n", /deploy\.yml\/prod: environment staging/],
            ["deploy.yml", "vars.FAWKES_DEPLOY_AKS == 'true'", "vars.FAWKES_DEPLOY_AKS == 'true' || github.event_name == 'push'", /deploy\.yml\/prod-aks: if is/],
            ["deploy.yml", "on:\n  push:\n    branches: [main]\n", "on:\n  push:\n    branches: [main]\n  workflow_dispatch:\n", /deploy\.yml: triggered by .*workflow_dispatch/],
            ["e2e.yml", "    steps:\n", "    environment: production\n    steps:\n", /e2e\.yml\/e2e: production environment outside deploy\.yml/],
        ];
        for (const [file, from, to, refused] of widenings) {
            const problems = deployProblems(withEdit(workflows, file, from, to));
            assert.ok(problems.some((p) => refused.test(p)), `${file}: ${String(from)} -> ${to}: ${JSON.stringify(problems)}`);
        }
    });

    it("grant no permissions at the top of a workflow and each job exactly its reviewed ones", () => {
        assert.deepEqual(permissionProblems(workflows), []);
        const widened = permissionProblems(withEdit(workflows, "test.yml", "      contents: read\n", "      contents: write\n"));
        assert.deepEqual(widened, ['test.yml/test: permissions {"contents":"write"}, reviewed {"contents":"read"}']);
        const top = permissionProblems(withEdit(workflows, "e2e.yml", "permissions: {}\n", "permissions: write-all\n"));
        assert.deepEqual(top, ['e2e.yml: top-level permissions "write-all", expected {} (each job asks for its own)']);
    });
});

/** The production deploy jobs, their stack, and the resource whose API endpoint they open and close. */
const productionJobs = [
    { job: "prod", stack: "prod", clusterType: "aws:eks/cluster:Cluster" },
    { job: "prod-aks", stack: "prod-aks", clusterType: "azure-native:containerservice:ManagedCluster" },
];

/**
 * The reach path of the production jobs (fawkes:cluster.apiAccess): the runner's /32 set on the
 * checkout before the update, an existing cluster widened first by a targeted update, the full
 * update, then, whatever happened, the /32 removed and the cluster narrowed again. The AKS job
 * installs a pinned kubelogin and logs in with workload identity. The preview never opens prod.
 */
const reachScriptPath = path.join(projectRoot, "scripts", "api-reach.sh");

/** A step's run with the scripts/api-reach.sh command it calls replaced by that command's function body. */
function resolvedRun(run: string | undefined, script: string): string {
    const call = /scripts\/api-reach\.sh ([\w-]+)/.exec(run ?? "");
    if (call === null) return run ?? "";
    const fn = call[1].replace(/-/g, "_");
    const body = new RegExp(`^${fn}\\(\\) \\{\\n([^]*?)^\\}$`, "m").exec(script);
    return `${run ?? ""}\n${body?.[1] ?? ""}`;
}

function reachProblems(workflows: Workflow[], script: string = fs.readFileSync(reachScriptPath, "utf8")): string[] {
    const problems: string[] = [];
    const deploy = workflows.find((wf) => wf.file === "deploy.yml");
    for (const { job: name, stack, clusterType } of productionJobs) {
        const id = `deploy.yml/${name}`;
        const job = deploy?.jobs.find((j) => j.name === name);
        if (!job) {
            problems.push(`${id}: missing`);
            continue;
        }
        if (job.env.STACK !== stack || job.env.CLUSTER_TYPE !== clusterType) problems.push(`${id}: env STACK/CLUSTER_TYPE are not ${stack} / ${clusterType}`);
        const index = (found: (s: WorkflowJob["steps"][number]) => boolean) => job.steps.findIndex(found);
        const open = index((s) => s.id === "reach");
        const up = index((s) => s.uses?.startsWith("pulumi/actions@") === true && s.with.command === "up");
        const close = index((s) => /pulumi config rm --stack "\$STACK" --path fawkes:cluster\.apiAccess\.deployerCidr/.test(resolvedRun(s.run, script)));
        const openRun = resolvedRun(job.steps[open]?.run, script);
        if (!/cidr="\$\(node_modules\/\.bin\/ts-node --transpile-only scripts\/deployer-cidr\.ts\)"/.test(openRun)) problems.push(`${id}: the runner's address does not come from scripts/deployer-cidr.ts`);
        if (!openRun.includes('pulumi config set --stack "$STACK" --path fawkes:cluster.apiAccess.deployerCidr "$cidr"')) problems.push(`${id}: does not set deployerCidr`);
        if (!/pulumi up --stack "\$STACK" --target "\$urn" --yes/.test(openRun)) problems.push(`${id}: does not widen an existing cluster before the full update`);
        if (!openRun.includes('echo "opened=true" >> "$GITHUB_OUTPUT"')) problems.push(`${id}: does not tell the closing step it opened`);
        if (up < 0 || job.steps[up].with["stack-name"] !== stack) problems.push(`${id}: no pulumi up of ${stack}`);
        if (!(open >= 0 && open < up && up < close)) problems.push(`${id}: steps out of order (open ${open}, up ${up}, close ${close})`);
        const closing = job.steps[close];
        if (closing?.if !== "always() && steps.reach.outputs.opened == 'true'") problems.push(`${id}: the closing step's if is ${JSON.stringify(closing?.if)}, not always() after an opening`);
        if (!/pulumi up --stack "\$STACK" --target "\$urn" --yes/.test(resolvedRun(closing?.run, script))) problems.push(`${id}: the closing step does not narrow the cluster again`);
        if (!(Number(job.steps[up]?.timeoutMinutes) > 0)) problems.push(`${id}: pulumi up has no timeout of its own, which would leave the closing step no time`);
    }
    const aks = deploy?.jobs.find((j) => j.name === "prod-aks");
    if (aks) {
        const kubelogin = aks.steps.find((s) => s.uses?.startsWith("azure/use-kubelogin@"));
        if (!/^v\d+\.\d+\.\d+$/.test(String(kubelogin?.with["kubelogin-version"]))) problems.push(`deploy.yml/prod-aks: kubelogin not installed at an exact version (${JSON.stringify(kubelogin?.with["kubelogin-version"])})`);
        if (!aks.steps.some((s) => (s.run ?? "").includes('pulumi config set --stack "$STACK" --path fawkes:cluster.kubelogin workloadidentity'))) problems.push("deploy.yml/prod-aks: kubelogin's login is not workloadidentity");
        if (aks.env.ARM_USE_OIDC !== "true" || !aks.env.AZURE_CLIENT_ID || !aks.env.AZURE_TENANT_ID) problems.push("deploy.yml/prod-aks: not OIDC for both Pulumi's provider and kubelogin");
    }
    const preview = workflows.find((wf) => wf.file === "preview.yml");
    const code = (preview?.text ?? "").split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
    if (code.includes("deployerCidr")) problems.push("preview.yml: a pull request opens a production API server");
    const previewStep = preview?.jobs.find((j) => j.name === "preview")?.steps.find((s) => s.with.command === "preview");
    if (previewStep?.with.refresh !== false) problems.push("preview.yml: the preview refreshes, which reads the unreachable in-cluster resources live");
    return problems;
}

describe("reaching the production API servers from the workflows", () => {
    const workflows = readWorkflows(workflowsDir);

    it("the deploy jobs admit their runner for the run and close the API server again, whatever happened; the preview never opens it", () => {
        assert.deepEqual(reachProblems(workflows), []);
        const broken: [string, string | RegExp, string, RegExp][] = [
            ["deploy.yml", "if: always() && steps.reach.outputs.opened == 'true'", "if: steps.reach.outputs.opened == 'true'", /deploy\.yml\/prod: the closing step's if/],
            ["deploy.yml", /\n {6}- name: Close the API server to this runner again\n(?: {8}[^\n]*\n)+/, "\n", /deploy\.yml\/prod: steps out of order/],
            ["api-reach.sh", '    pulumi up --stack "$STACK" --target "$urn" --yes --non-interactive \\\n', "    true \\\n", /deploy\.yml\/prod: does not widen an existing cluster/],
            ["api-reach.sh", '        pulumi up --stack "$STACK" --target "$urn" --yes --non-interactive\n    fi', "        true\n    fi", /deploy\.yml\/prod-aks: the closing step does not narrow/],
            ["deploy.yml", "          kubelogin-version: v0.2.19\n", "          kubelogin-version: latest\n", /kubelogin not installed at an exact version/],
            ["deploy.yml", "fawkes:cluster.kubelogin workloadidentity", "fawkes:cluster.kubelogin devicecode", /kubelogin's login is not workloadidentity/],
            ["deploy.yml", /(\n {6}- name: pulumi up\n) {8}timeout-minutes: 60\n/, "$1", /deploy\.yml\/prod: pulumi up has no timeout of its own/],
            ["preview.yml", "          refresh: false\n", "          refresh: true\n", /the preview refreshes/],
            ["preview.yml", "    steps:\n", "    steps:\n      - run: pulumi config set --path fawkes:cluster.apiAccess.deployerCidr 192.0.2.1/32\n", /a pull request opens a production API server/],
        ];
        const script = fs.readFileSync(reachScriptPath, "utf8");
        for (const [file, from, to, refused] of broken) {
            const edited = file === "api-reach.sh" ? script.replace(from, to) : script;
            assert.ok(file !== "api-reach.sh" || edited !== script, `the planted edit of ${file} must change it`);
            const problems = file === "api-reach.sh" ? reachProblems(workflows, edited) : reachProblems(withEdit(workflows, file, from, to), script);
            assert.ok(problems.some((p) => refused.test(p)), `${file}: ${String(from)} -> ${to}: ${JSON.stringify(problems)}`);
        }
    });

    it("the cluster types the jobs look for are the ones the program registers", async () => {
        for (const { stack, clusterType } of productionJobs) {
            const run = await runStackFileOk(stack);
            assert.equal(run.resources.filter((r) => r.type === clusterType).length, 1, stack);
        }
    });
});

describe("reports", function () {
    this.timeout(60_000);

    it("the README diagrams are up to date (else run `npm run diagram`)", async () => {
        const readme = fs.readFileSync(readmePath, "utf8");
        assert.ok(replaceSection(readme, await diagramSection()) === readme, "README diagrams are stale: run `npm run diagram`");
    });

    it("counts the longest chain of dependent Helm releases: one step on dev, two with HA Vault (after cert-manager, for its certificate)", async () => {
        for (const [stack, steps] of [["dev", 1], ["prod", 2], ["prod-aks", 2]] as const) {
            assert.equal(longestReleaseChain((await runStackFileOk(stack)).resources), steps, stack);
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
