import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import { Job } from "kubernetes-models/batch/v1/Job";
import { parseAllDocuments } from "yaml";
import { enabledGitopsApps, gitopsApps, secretsOf } from "../components/catalog";
import { application, chartSource, externalSecrets, platformTree, valuesContext } from "../components/gitops/manifests";
import { inClusterRepoURL } from "../components/gitops/git-source";
import { treeFiles } from "../components/gitops/tree-files";
import { applicationWave, secretWave, setupJobWave } from "../components/gitops/waves";
import { platformSecretSpecs } from "../components/platform-secrets";
import { parseCpu, parseMemory } from "../components/quantity";
import { staleFiles } from "../scripts/gitops";
import { stackConfig, stackNames } from "../scripts/lib/stacks";
import { budgetReport } from "../policy/lib/budget";
import { ofType, projectRoot, type RunResult, runStackFileOk } from "../scripts/lib/harness";
import { analyzedResources } from "../scripts/lib/policy-input";

const customResources = (run: RunResult, kind: string) => run.resources.filter((r) => r.type === `kubernetes:argoproj.io/v1alpha1:${kind}`);

describe("GitOps app-of-apps", function () {
    this.timeout(30_000);

    it("the committed platform/ tree is what the generator writes (else run `npm run gitops`)", () => {
        assert.deepEqual(staleFiles(), [], "platform/ is stale: run `npm run gitops` and commit the result");
        assert.deepEqual(stackNames(), ["dev", "prod", "prod-aks"]);
    });

    it("every generated Application validates against the Argo CD CRD schema", () => {
        let count = 0;
        for (const [file, text] of everyStackTree()) {
            if (/\/apps\/[^/]+\.yaml$/.test(file)) {
                new Application(parseAllDocuments(text)[0].toJS() as ConstructorParameters<typeof Application>[0]).validate();
                count++;
            }
        }
        assert.ok(count >= 3 * 3);
    });

    it("every generated ExternalSecret and setup Job validates against its schema", async () => {
        // external-secrets.io/v1 models exist only as ES modules.
        const { ExternalSecret } = await import("@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret");
        const kinds = new Map<string, number>();
        for (const [file, text] of everyStackTree()) {
            const manifest = parseAllDocuments(text)[0].toJS() as { kind: string };
            if (manifest.kind === "ExternalSecret") {
                new ExternalSecret(manifest as ConstructorParameters<typeof ExternalSecret>[0]).validate();
            } else if (manifest.kind === "Job") {
                new Job(manifest as ConstructorParameters<typeof Job>[0]).validate();
            }
            kinds.set(manifest.kind, (kinds.get(manifest.kind) ?? 0) + 1);
            // Middleware: Traefik's basic auth in front of a UI without a login (DevLake's); the render validates it against Traefik's CRD.
            assert.ok(["Application", "ExternalSecret", "Job", "Kustomization", "Middleware"].includes(manifest.kind), `${file}: ${manifest.kind}`);
        }
        assert.ok((kinds.get("ExternalSecret") ?? 0) >= 3 * 15, JSON.stringify([...kinds]));
        assert.equal(kinds.get("Job"), 3 * 2, "DevLake's DORA setup and SonarQube's admin password, per stack");
        // The schema check is real: a malformed one fails.
        assert.throws(() => new ExternalSecret({ metadata: { name: "x" }, spec: { target: { creationPolicy: "Sometimes" } } } as never).validate());
    });

    it("renders setup Jobs the platform's admission policies admit: named, sized, non-root, pinned", () => {
        let count = 0;
        for (const [file, text] of everyStackTree()) {
            const job = parseAllDocuments(text)[0].toJS() as { kind: string; metadata: { annotations: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } };
            if (job.kind !== "Job") continue;
            count++;
            const pod = job.spec.template;
            assert.ok(pod.metadata.labels["app.kubernetes.io/name"], file);
            assert.equal((pod.spec.securityContext as { runAsNonRoot: boolean }).runAsNonRoot, true, file);
            for (const c of pod.spec.containers as { image: string; resources: { requests: Record<string, string>; limits: Record<string, string> }; securityContext?: { privileged?: boolean } }[]) {
                assert.match(c.image, /^[^:@]+:[^:@]+@sha256:[0-9a-f]{64}$/, `${file}: a tag and a digest`);
                for (const kind of ["requests", "limits"] as const) {
                    assert.ok(c.resources[kind].cpu && c.resources[kind].memory, `${file}: ${kind}`);
                }
                assert.ok(!c.securityContext?.privileged, file);
            }
            assert.ok(!pod.spec.hostNetwork && !pod.spec.hostPID && !pod.spec.hostIPC, file);
            assert.equal(job.metadata.annotations["argocd.argoproj.io/sync-options"], "Replace=true", `${file}: a Job's template is immutable`);
        }
        assert.equal(count, 6);
    });

    it("reads every app secret from a Vault path and property the platform generates", () => {
        const generated = new Map(platformSecretSpecs.map((spec) => [spec.path, new Set([...Object.keys(spec.fixed ?? {}), ...spec.fields.map((f) => f.field), ...(spec.keyPair ? ["key", "certificate"] : [])])]));
        const all = Object.fromEntries(gitopsApps().map((a) => [a.name, true]));
        const config = { ...stackConfig("dev"), apps: all };
        const ctx = valuesContext(config);
        let count = 0;
        for (const app of gitopsApps()) {
            for (const secret of secretsOf(app, ctx)) {
                for (const property of Object.values(secret.keys)) {
                    assert.ok(generated.get(secret.vaultPath)?.has(property), `${app.name}: ${secret.name} reads ${secret.vaultPath}#${property}, which the platform does not generate`);
                    count++;
                }
            }
        }
        assert.ok(count > 40);
    });

    it("wires integrations only when both ends run: Fluent Bit ships to OpenSearch and reads its login only with OpenSearch on", () => {
        const config = stackConfig("dev");
        const fluentBit = gitopsApps().find((a) => a.name === "fluent-bit")!;
        const outputs = (apps: Record<string, boolean>) => {
            return (chartSource(application(fluentBit, { ...config, apps })).helm.valuesObject as { config: { outputs: string } }).config.outputs;
        };
        const secrets = (apps: Record<string, boolean>) => externalSecrets(fluentBit, { ...config, apps }).map((e) => (e.metadata as { name: string }).name);
        assert.doesNotMatch(outputs({}), /opensearch/i);
        assert.deepEqual(secrets({}), []);
        assert.match(outputs({ opensearch: true }), /Name\s+opensearch/);
        assert.deepEqual(secrets({ opensearch: true }), ["opensearch-credentials"]);
    });

    it("gives each app with a database its own database, owner login and Secret in the shared cluster", () => {
        const config = stackConfig("dev");
        const postgres = gitopsApps().find((a) => a.hostsDatabases)!;
        const users = enabledGitopsApps(config.apps).filter((a) => a.database);
        assert.deepEqual(users.map((a) => a.name).sort(), ["backstage", "harbor", "sonarqube"]);
        type Values = { cluster: { roles: { name: string; passwordSecret: { name: string } }[] }; databases: { name: string; owner: string }[] };
        const { cluster, databases } = chartSource(application(postgres, config)).helm.valuesObject as Values;
        for (const app of users) {
            assert.ok(app.dependsOn.includes(postgres.name), `${app.name} syncs after its database`);
            assert.ok(databases.some((d) => d.name === app.database!.name && d.owner === app.database!.owner), app.name);
            const role = cluster.roles.find((r) => r.name === app.database!.owner)!;
            const login = externalSecrets(postgres, config).find((e) => (e.metadata as { name: string }).name === role.passwordSecret.name);
            assert.ok(login, `${app.name}: the owner's login Secret is delivered to the database's namespace`);
            assert.equal((login.spec as { target: { template: { type: string } } }).target.template.type, "kubernetes.io/basic-auth");
            assert.ok(externalSecrets(app, config).some((e) => (e.metadata as { name: string }).name === `${app.name}-postgres`), `${app.name} gets its login`);
        }
        // Switching an app off drops its database and role from the cluster's values.
        const without = chartSource(application(postgres, { ...config, apps: { ...config.apps, harbor: false } })).helm.valuesObject as Values;
        assert.ok(!without.databases.some((d) => d.name === "harbor"));
        assert.ok(!without.cluster.roles.some((r) => r.name === "harbor"));
    });

    it("kubectl kustomize renders every stack's tree", function () {
        if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) {
            console.log("    kustomize check skipped: kubectl is not installed here");
            this.skip();
        }
        for (const stack of stackNames()) {
            // The committed tree of a remote stack; a local stack's as the program seeds it.
            const config = stackConfig(stack);
            const dir = config.gitops.source === "remote" ? projectRoot : fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-tree-"));
            if (config.gitops.source !== "remote") {
                for (const [file, text] of treeFiles(config)) {
                    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
                    fs.writeFileSync(path.join(dir, file), text);
                }
            }
            const result = spawnSync("kubectl", ["kustomize", path.join(dir, config.gitops.path)], { encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            const kinds = parseAllDocuments(result.stdout).map((d) => (d.toJS() as { kind: string }).kind);
            assert.ok(kinds.filter((k) => k === "Application").length >= 3, stack);
        }
    });

    it("pins every chart exactly and gives every container requests and limits", () => {
        for (const app of gitopsApps()) {
            assert.match(app.chart.version, /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, app.name);
            // An https Helm repository, or an OCI registry path (Argo CD takes it without oci://) for charts published only there.
            assert.match(app.chart.repo, /^(https:\/\/|ghcr\.io\/[a-z0-9-]+\/[a-z0-9-]+$)/, app.name);
            for (const c of app.workloads.flatMap((w) => w.containers)) {
                assert.ok(parseCpu(c.requests.cpu) > 0 && parseMemory(c.requests.memory) > 0, `${app.name}/${c.name}`);
                assert.ok(parseCpu(c.requests.cpu) <= parseCpu(c.limits.cpu) && parseMemory(c.requests.memory) <= parseMemory(c.limits.memory), `${app.name}/${c.name}`);
            }
        }
    });

    it("orders waves after dependencies, and inside each app its secrets before the chart and its setup Jobs after it", () => {
        const apps = gitopsApps();
        for (const app of apps) {
            for (const dep of app.dependsOn) {
                const needed = apps.find((a) => a.name === dep);
                assert.ok(needed, `${app.name} depends on unknown app ${dep}`);
                assert.ok(applicationWave(app) > applicationWave(needed), `${app.name} (wave ${app.wave}) must sync after ${dep} (wave ${needed.wave})`);
            }
            // Inside the app's own Application, where the chart's objects sync at wave 0.
            assert.ok(secretWave(app) < 0 && setupJobWave(app) > 0);
        }
    });

    describe("in the program", () => {
        let dev: RunResult;
        before(async () => {
            dev = await runStackFileOk("dev");
        });

        it("creates the root Application after Argo CD, pointing at the in-cluster repository, the seeded commit and the stack's path", () => {
            const [root] = customResources(dev, "Application");
            const spec = root.inputs.spec as { project: string; source: { repoURL: string; targetRevision: string; path: string } };
            const seed = dev.resources.find((r) => r.name === "git-seed")!;
            assert.deepEqual(spec.source, { repoURL: inClusterRepoURL, targetRevision: seed.state.commit, path: "platform/dev" });
            const argo = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "argo-cd")!;
            assert.ok(root.dependencies.includes(argo.urn));
            assert.deepEqual((root.inputs.metadata as { finalizers: string[] }).finalizers, ["resources-finalizer.argocd.argoproj.io"]);
            new Application(root.inputs as ConstructorParameters<typeof Application>[0]).validate();
        });

        it("exports the URL of every app with a UI, core and Argo CD-run alike", () => {
            assert.deepEqual(dev.outputs.urls, {
                vault: "https://vault.fawkes.localtest.me",
                "argo-cd": "https://argocd.fawkes.localtest.me",
                backstage: "https://backstage.fawkes.localtest.me",
                jenkins: "https://jenkins.fawkes.localtest.me",
                sonarqube: "https://sonarqube.fawkes.localtest.me",
                harbor: "https://harbor.fawkes.localtest.me",
                devlake: "https://devlake.fawkes.localtest.me",
                grafana: "https://grafana.fawkes.localtest.me",
                git: "https://git.fawkes.localtest.me",
            });
        });

        it("creates the AppProjects, valid, one per app and the root's, each limited to its app's repositories and namespaces", () => {
            const projects = customResources(dev, "AppProject");
            assert.deepEqual(projects.map((p) => (p.inputs.metadata as { name: string }).name).sort(), [...enabledGitopsApps(stackConfig("dev").apps).map((a) => a.name), "fawkes-platform"].sort());
            for (const p of projects) {
                new AppProject(p.inputs as ConstructorParameters<typeof AppProject>[0]).validate();
            }
            const security = projects.find((p) => (p.inputs.metadata as { name: string }).name === "trivy-operator")!;
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

/** Every stack's tree: the committed ones of remote stacks and the seeded ones of local stacks. */
function everyStackTree(): Map<string, string> {
    return new Map(stackNames().flatMap((stack) => [...treeFiles(stackConfig(stack))]));
}

/** The parts of a PlatformConfig the tree needs, for a pure check. */
function devConfigLike(): Parameters<typeof platformTree>[0] {
    return {
        stack: "dev",
        cluster: { provider: "kind", hostPorts: { http: 80, https: 443, listenAddress: "127.0.0.1" } },
        domain: "fawkes.localtest.me",
        tls: { issuer: "local-ca" },
        ingress: { controller: "traefik" },
        gitops: { source: "in-cluster", targetRevision: "main", path: "platform/dev", syncTimeoutSeconds: 1800 },
        apps: {},
    } as Parameters<typeof platformTree>[0];
}
