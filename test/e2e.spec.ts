// End to end on a real kind cluster through the Automation API: `pulumi up` of the dev
// stack's config on a local-backend stack, checks against the live cluster, then `pulumi
// destroy`. Needs Docker, kind, kubectl and the Pulumi CLI, takes many minutes and creates a
// real cluster, so it runs only when FAWKES_E2E=1 is set; otherwise it is skipped (and
// reported as skipped, never as passed). With FAWKES_E2E=1 a missing tool fails the run:
// an e2e job that quietly skipped would look green.
//
// Knobs (environment):
//   FAWKES_E2E_APPS         JSON `fawkes:apps` switches merged over the dev stack's, e.g. the
//                           lean set .github/workflows/e2e.yml runs on a 4 vCPU / 16 GB runner
//   FAWKES_E2E_HOST_PORTS   JSON merged over `fawkes:cluster.hostPorts`, e.g. {"http":8080,"https":8443}
//   FAWKES_E2E_CACHES       "warm" when the kind image caches were filled before (timings label)
//   PULUMI_BACKEND_URL      a file:// backend to keep the state in (default: a fresh temp dir)
//   PULUMI_CONFIG_PASSPHRASE  the stack's passphrase (default: a random one for this run)
//
// The checks themselves live in test/support/e2e-checks.ts, unit-tested by e2e-checks.spec.ts.

import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type OutputMap, type Stack, type StackSettings } from "@pulumi/pulumi/automation";
import { enabledGitopsApps } from "../components/catalog";
import { rootAppName } from "../components/gitops/manifests";
import { projectRoot, stackFileConfig } from "../scripts/lib/harness";
import {
    type ApplicationState,
    appSwitches,
    applicationProblems,
    applicationStates,
    argoCdAdminSecret,
    argoCdApplicationNames,
    argoCdLogin,
    argoCdNamespace,
    credentialOf,
    durationText,
    e2eClusterName,
    e2eStackConfig,
    e2eStackName,
    formatApplications,
    formatProbes,
    formatTimings,
    kindClusterListed,
    localCaCertificate,
    owningExternalSecret,
    probeProblems,
    probeUrls,
    secretKey,
    uiUrls,
} from "./support/e2e-checks";

const tools = [
    ["docker", ["info"]],
    ["kind", ["version"]],
    ["kubectl", ["version", "--client"]],
    ["pulumi", ["version"]],
] as const;

/** Why the e2e test does not run here, or undefined when it should. */
function skipReason(): string | undefined {
    return process.env.FAWKES_E2E === "1" ? undefined : "FAWKES_E2E=1 is not set (the e2e test creates a real kind cluster)";
}

function missingTool(): string | undefined {
    return tools.find(([tool, args]) => spawnSync(tool, [...args], { stdio: "ignore" }).status !== 0)?.[0];
}

/** Appends Markdown to the GitHub job summary, when there is one. */
function summarize(markdown: string): void {
    if (process.env.GITHUB_STEP_SUMMARY) {
        fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
    }
}

const plainOutputs = (outputs: OutputMap): Record<string, unknown> => Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown]));

describe("e2e: dev stack on a real kind cluster", function () {
    // Per hook and test: a cold `pulumi up` pulls every image of the set it runs.
    this.timeout(60 * 60_000);
    const caches = process.env.FAWKES_E2E_CACHES === "warm" ? "warm" : "cold or unknown";
    let stack: Stack | undefined;
    let destroyed = false;
    let workDir: string;
    let kubeconfigFile: string;
    let outputs: Record<string, unknown>;
    let expectedApplications: string[];
    let applications: ApplicationState[] = [];
    let upMs: number;
    let timings: { clusterMs?: number; coreMs?: number } = {};

    const kubectl = (...args: string[]): string => execFileSync("kubectl", ["--kubeconfig", kubeconfigFile, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

    /** The Applications, the pods not running and recent warnings: what a failure needs to be read (no Secret in it). */
    function showCluster(): void {
        if (!kubeconfigFile || !fs.existsSync(kubeconfigFile)) {
            return;
        }
        const views = [
            ["get", "applications.argoproj.io", "-n", argoCdNamespace, "-o", "wide"],
            ["get", "pods", "-A", "-o", "wide", "--field-selector", "status.phase!=Running,status.phase!=Succeeded"],
            ["get", "events", "-A", "--field-selector", "type=Warning", "--sort-by", ".lastTimestamp"],
        ];
        for (const args of views) {
            try {
                console.log(`\n$ kubectl ${args.join(" ")}\n${kubectl(...args)}`);
            } catch (e) {
                console.log(`kubectl ${args.join(" ")} failed: ${(e as Error).message}`);
            }
        }
    }

    before(async function () {
        const reason = skipReason();
        if (reason) {
            console.log(`    e2e skipped: ${reason}`);
            this.skip();
        }
        const missing = missingTool();
        if (missing) {
            throw new Error(`FAWKES_E2E=1 but ${missing} is not available here`);
        }
        if (kindClusterListed(execFileSync("kind", ["get", "clusters"], { encoding: "utf8" }), e2eClusterName)) {
            throw new Error(`a kind cluster ${e2eClusterName} already exists (left by an earlier run?): kind delete cluster --name ${e2eClusterName}`);
        }
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-e2e-"));
        kubeconfigFile = path.join(workDir, "kubeconfig");

        // Always a local backend: an e2e run must not create stacks wherever `pulumi login` points.
        const given = process.env.PULUMI_BACKEND_URL;
        const backend = given?.startsWith("file://") ? given : `file://${path.join(workDir, "state")}`;
        if (!given?.startsWith("file://")) {
            fs.mkdirSync(path.join(workDir, "state"));
            console.log(`    e2e state in ${backend}${given ? " (PULUMI_BACKEND_URL is not a local backend)" : ""}`);
            // A stack file left by an interrupted run carries the salt of another passphrase,
            // which a fresh backend's `stack init` would fail to use.
            fs.rmSync(path.join(projectRoot, `Pulumi.${e2eStackName}.yaml`), { force: true });
        }
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: e2eStackName, workDir: projectRoot },
            {
                envVars: {
                    PULUMI_BACKEND_URL: backend,
                    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? randomBytes(32).toString("hex"),
                    PULUMI_SKIP_UPDATE_CHECK: "true",
                },
            },
        );
        // Written as the stack file's structured config, keeping what `stack init` put there
        // (the passphrase's salt); `pulumi config set` would store each object as a string.
        const config = e2eStackConfig(stackFileConfig("dev"), { apps: process.env.FAWKES_E2E_APPS, hostPorts: process.env.FAWKES_E2E_HOST_PORTS });
        const settings = await stack.workspace.stackSettings(e2eStackName).catch((): StackSettings => ({}));
        await stack.workspace.saveStackSettings(e2eStackName, { ...settings, config });
        expectedApplications = [rootAppName, ...enabledGitopsApps(appSwitches(config)).map((a) => a.name)].sort();

        // Time to the cluster and to the whole core (the last Helm release), from the engine's
        // events; `pulumi up` itself ends once every Argo CD Application is Synced and Healthy.
        const started = Date.now();
        const seen: { clusterMs?: number; coreMs?: number } = {};
        try {
            await stack.up({
                onOutput: (s) => process.stdout.write(s),
                onEvent: (event) => {
                    const urn = event.resOutputsEvent?.metadata.urn ?? "";
                    if (urn.includes("command:local:Command") && urn.endsWith("-kind")) {
                        seen.clusterMs = Date.now() - started;
                    } else if (urn.includes("kubernetes:helm.sh/v3:Release")) {
                        seen.coreMs = Date.now() - started;
                    }
                },
            });
        } catch (e) {
            // Most often an Application that never became Healthy: show the cluster before it goes.
            const kubeconfig = spawnSync("kind", ["get", "kubeconfig", "--name", e2eClusterName], { encoding: "utf8" });
            if (kubeconfig.status === 0) {
                fs.writeFileSync(kubeconfigFile, kubeconfig.stdout, { mode: 0o600 });
                showCluster();
            }
            throw e;
        }
        upMs = Date.now() - started;
        timings = seen;
        const table = formatTimings({ ...timings, upMs }, caches);
        console.log(table);
        summarize(table);

        const result = await stack.outputs();
        assert.equal(result.kubeconfig?.secret, true, "the kubeconfig output is not secret");
        assert.equal(result.credentials?.secret, true, "the credentials output is not secret");
        outputs = plainOutputs(result);
        assert.equal(outputs.clusterName, e2eClusterName);
        fs.writeFileSync(kubeconfigFile, String(outputs.kubeconfig), { mode: 0o600 });
    });

    afterEach(function () {
        // The cluster is destroyed at the end either way: show its state while it is still there.
        if (this.currentTest?.state === "failed" && !destroyed) {
            showCluster();
        }
    });

    after(async function () {
        // A run that failed before the destroy test still removes what it created.
        if (stack && !destroyed) {
            try {
                await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
                await stack.workspace.removeStack(e2eStackName);
            } catch (e) {
                console.log(`e2e clean-up failed (the workflow's clean-up step deletes the cluster): ${(e as Error).message}`);
            }
        }
        if (workDir) {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    });

    it("runs a control plane and one worker per pool, labelled with their pools", () => {
        const nodes = JSON.parse(kubectl("get", "nodes", "-o", "json")) as { items: { metadata: { labels: Record<string, string> } }[] };
        const pools = nodes.items.map((n) => n.metadata.labels["fawkes.dev/pool"]).sort();
        assert.deepEqual(pools, ["apps", "ci", "control-plane", "platform"]);
        const ingressReady = nodes.items.filter((n) => n.metadata.labels["ingress-ready"] === "true");
        assert.equal(ingressReady.length, 1);
    });

    it("has every Argo CD Application Synced and Healthy, one for each enabled app", () => {
        applications = applicationStates(JSON.parse(kubectl("get", "applications.argoproj.io", "-n", argoCdNamespace, "-o", "json")));
        summarize(formatApplications(applications));
        assert.deepEqual(applicationProblems(applications, expectedApplications), []);
    });

    it("answers on every UI in `urls` over HTTPS verified with the local CA", async () => {
        const urls = uiUrls(outputs);
        for (const app of ["argo-cd", "git", "vault"]) {
            assert.ok(
                urls.some((u) => u.app === app),
                `urls has no ${app}`,
            );
        }
        const results = await probeUrls(urls, localCaCertificate(outputs));
        summarize(formatProbes(results));
        assert.deepEqual(probeProblems(results), []);
    });

    it("delivers the Argo CD admin login from Vault through External Secrets", () => {
        const secret = JSON.parse(kubectl("get", "secret", argoCdAdminSecret, "-n", argoCdNamespace, "-o", "json")) as unknown;
        assert.ok(owningExternalSecret(secret), `Secret ${argoCdNamespace}/${argoCdAdminSecret} is not owned by an ExternalSecret`);
        const expected = credentialOf(outputs, "argo-cd");
        // Compared, never shown: assert.equal would print both values on a mismatch.
        assert.ok(secretKey(secret, "username") === expected.username, "the Secret's username is not credentials[\"argo-cd\"].username");
        assert.ok(secretKey(secret, "password") === expected.password, "the Secret's password is not credentials[\"argo-cd\"].password (values not shown)");
    });

    it("logs in to Argo CD's API with the exported login and lists the Applications", async () => {
        const login = credentialOf(outputs, "argo-cd");
        const ca = localCaCertificate(outputs);
        const token = await argoCdLogin(login.url, ca, login);
        const names = await argoCdApplicationNames(login.url, ca, token);
        assert.deepEqual(names, applications.length > 0 ? applications.map((a) => a.name) : expectedApplications);
    });

    it("destroys the stack, removes it and leaves no kind cluster behind", async () => {
        assert.ok(stack);
        const started = Date.now();
        await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
        const destroyMs = Date.now() - started;
        await stack.workspace.removeStack(e2eStackName);
        destroyed = true;
        const table = formatTimings({ ...timings, upMs, destroyMs }, caches);
        console.log(table);
        summarize(`**pulumi destroy**: ${durationText(destroyMs)}\n`);
        assert.equal(kindClusterListed(execFileSync("kind", ["get", "clusters"], { encoding: "utf8" }), e2eClusterName), false, `kind still lists ${e2eClusterName}`);
    });
});
