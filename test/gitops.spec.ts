import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { parseAllDocuments } from "yaml";
import { enabledGitopsApps, gitopsApps } from "../components/catalog";
import { applicationWave, platformTree, secretWave } from "../components/gitops/manifests";
import { parseCpu, parseMemory } from "../components/quantity";
import { generatedFiles, stackNames, staleFiles } from "../scripts/gitops";
import { budgetReport } from "../policy/lib/budget";
import { ofType, projectRoot, type RunResult, runStackFileOk } from "./support/harness";
import { analyzedResources } from "./support/policy-input";

const customResources = (run: RunResult, kind: string) => run.resources.filter((r) => r.type === `kubernetes:argoproj.io/v1alpha1:${kind}`);

describe("GitOps app-of-apps", function () {
    this.timeout(30_000);

    it("the committed platform/ tree is what the generator writes (else run `npm run gitops`)", () => {
        assert.deepEqual(staleFiles(), [], "platform/ is stale: run `npm run gitops` and commit the result");
        assert.deepEqual(stackNames(), ["dev", "prod", "prod-aks"]);
    });

    it("every generated Application validates against the Argo CD CRD schema", () => {
        let count = 0;
        for (const [file, text] of generatedFiles()) {
            if (file.includes("/apps/")) {
                new Application(parseAllDocuments(text)[0].toJS() as ConstructorParameters<typeof Application>[0]).validate();
                count++;
            }
        }
        assert.ok(count >= 3 * 3);
    });

    it("kubectl kustomize renders every stack's tree", function () {
        if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) {
            console.log("    kustomize check skipped: kubectl is not installed here");
            this.skip();
        }
        for (const stack of stackNames()) {
            const result = spawnSync("kubectl", ["kustomize", path.join(projectRoot, "platform", stack)], { encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            const kinds = parseAllDocuments(result.stdout).map((d) => (d.toJS() as { kind: string }).kind);
            assert.ok(kinds.filter((k) => k === "Application").length >= 3, stack);
        }
    });

    it("pins every chart exactly and gives every container requests and limits", () => {
        for (const app of gitopsApps()) {
            assert.match(app.chart.version, /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, app.name);
            assert.match(app.chart.repo, /^https:\/\//, app.name);
            for (const c of app.workloads.flatMap((w) => w.containers)) {
                assert.ok(parseCpu(c.requests.cpu) > 0 && parseMemory(c.requests.memory) > 0, `${app.name}/${c.name}`);
                assert.ok(parseCpu(c.requests.cpu) <= parseCpu(c.limits.cpu) && parseMemory(c.requests.memory) <= parseMemory(c.limits.memory), `${app.name}/${c.name}`);
            }
        }
    });

    it("orders waves after dependencies, and each app's secrets before the app", () => {
        const apps = gitopsApps();
        for (const app of apps) {
            for (const dep of app.dependsOn) {
                const needed = apps.find((a) => a.name === dep);
                assert.ok(needed, `${app.name} depends on unknown app ${dep}`);
                assert.ok(applicationWave(app) > applicationWave(needed), `${app.name} (wave ${app.wave}) must sync after ${dep} (wave ${needed.wave})`);
            }
            assert.ok(secretWave(app) < applicationWave(app));
        }
    });

    describe("in the program", () => {
        let dev: RunResult;
        before(async () => {
            dev = await runStackFileOk("dev");
        });

        it("creates the root Application after Argo CD, pointing at the configured repository and path", () => {
            const [root] = customResources(dev, "Application");
            const spec = root.inputs.spec as { project: string; source: { repoURL: string; targetRevision: string; path: string } };
            assert.deepEqual(spec.source, { repoURL: "https://github.com/fawkes-platform/fawkes.git", targetRevision: "main", path: "platform/dev" });
            const argo = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "argo-cd")!;
            assert.ok(root.dependencies.includes(argo.urn));
            assert.deepEqual((root.inputs.metadata as { finalizers: string[] }).finalizers, ["resources-finalizer.argocd.argoproj.io"]);
            new Application(root.inputs as ConstructorParameters<typeof Application>[0]).validate();
        });

        it("exports the URL of every app with a UI, core and Argo CD-run alike", () => {
            assert.deepEqual(dev.outputs.urls, {
                vault: "https://vault.fawkes.localtest.me",
                "argo-cd": "https://argocd.fawkes.localtest.me",
                devlake: "https://devlake.fawkes.localtest.me",
                grafana: "https://grafana.fawkes.localtest.me",
                jenkins: "https://jenkins.fawkes.localtest.me",
            });
        });

        it("creates the AppProjects, valid, each limited to its apps' repositories and namespaces", () => {
            const projects = customResources(dev, "AppProject");
            assert.deepEqual(projects.map((p) => (p.inputs.metadata as { name: string }).name).sort(), ["data", "delivery", "fawkes-platform", "observability", "security"]);
            for (const p of projects) {
                new AppProject(p.inputs as ConstructorParameters<typeof AppProject>[0]).validate();
            }
            const security = projects.find((p) => (p.inputs.metadata as { name: string }).name === "security")!;
            assert.deepEqual((security.inputs.spec as { destinations: { namespace: string }[] }).destinations.map((d) => d.namespace), ["trivy-system"]);
        });

        it("empties Argo CD's built-in default project, so Git cannot deploy through it", () => {
            const [patch] = dev.resources.filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:AppProjectPatch");
            assert.equal((patch.inputs.metadata as { name: string }).name, "default");
            assert.deepEqual((patch.inputs.spec as { sourceRepos: string[]; destinations: unknown[] }).sourceRepos, []);
            assert.deepEqual((patch.inputs.spec as { destinations: unknown[] }).destinations, []);
        });

        it("switching an optional app on is one config line, and the budget shows it", async () => {
            const optional = gitopsApps().filter((a) => !a.enabledByDefault);
            assert.ok(optional.length >= 4);
            const on = await runStackFileOk("prod", (c) => (c["fawkes:apps"] = Object.fromEntries(optional.map((a) => [a.name, true]))));
            const prod = await runStackFileOk("prod");
            const namespaces = (run: RunResult) => ofType(run, "kubernetes:core/v1:ResourceQuota").map((q) => (q.inputs.metadata as { namespace: string }).namespace);
            for (const app of optional) {
                assert.ok(namespaces(on).includes(app.namespace) && !namespaces(prod).includes(app.namespace), app.name);
            }
            const total = (run: RunResult) => budgetReport(analyzedResources(run), { targetUtilization: 0.7, reservationModel: "tiered" }).total.requests.cpu;
            assert.ok(total(on) > total(prod));
        });

        it("gives every enabled app a namespace with a quota, and switching an app off removes its Application, namespace and quota", async () => {
            const quotaNamespaces = (run: RunResult) => ofType(run, "kubernetes:core/v1:ResourceQuota").map((q) => (q.inputs.metadata as { namespace: string }).namespace);
            for (const app of enabledGitopsApps({})) {
                assert.ok(quotaNamespaces(dev).includes(app.namespace), app.name);
            }
            const without = await runStackFileOk("dev", (c) => (c["fawkes:apps"] = { "trivy-operator": false }));
            assert.ok(!quotaNamespaces(without).includes("trivy-system"));
            assert.ok(!ofType(without, "kubernetes:core/v1:Namespace").some((n) => (n.inputs.metadata as { name: string }).name === "trivy-system"));
            const tree = platformTree({ ...devConfigLike(), apps: { "trivy-operator": false } });
            assert.ok(![...tree.keys()].some((f) => f.includes("trivy")));
            assert.ok([...tree.keys()].some((f) => f.includes("argo-rollouts")));
        });
    });
});

/** The parts of a PlatformConfig the tree needs, for a pure check. */
function devConfigLike(): Parameters<typeof platformTree>[0] {
    return {
        stack: "dev",
        domain: "fawkes.localtest.me",
        tls: { issuer: "local-ca" },
        ingress: { controller: "traefik" },
        gitops: { repoURL: "https://github.com/fawkes-platform/fawkes.git", targetRevision: "main", path: "platform/dev" },
        apps: {},
    } as Parameters<typeof platformTree>[0];
}
