// The Argo CD projects as security boundaries: the root project creates Applications in argocd
// and nothing else, and each app's project admits exactly its chart's repository (plus this
// platform's where it syncs its own objects), its own namespaces, and the kinds the render
// recorded for its chart. Pure: no Pulumi run, so it stays fast.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { enabledGitopsApps, gitopsApps, type GitOpsApp } from "../components/catalog";
import { appKinds, committedRenderFacts, readRenderFacts } from "../components/gitops/app-kinds";
import { rootRepoURL } from "../components/gitops/git-source";
import { appObjects, appProjects, checkAppNamespaces, application, chartSource, forbiddenAppNamespaces, platformTree, rootProject } from "../components/gitops/manifests";
import { argoCdNamespace, inCluster } from "../components/names";
import { inventoryDir } from "../components/image-inventory";
import { stackConfig, stackNames } from "../scripts/lib/stacks";

type Kind = { group: string; kind: string };
interface ProjectSpec {
    sourceRepos: string[];
    destinations: { server: string; namespace: string }[];
    clusterResourceWhitelist: Kind[];
    namespaceResourceWhitelist: Kind[];
    namespaceResourceBlacklist?: Kind[];
}

const specOf = (project: Record<string, unknown>) => project.spec as ProjectSpec;
const nameOf = (m: Record<string, unknown>) => (m.metadata as { name: string }).name;
const kindsOf = (facts: readonly string[]) => facts.map((f) => ({ group: f.slice(0, f.indexOf("/")), kind: f.slice(f.indexOf("/") + 1) }));
const sorted = (kinds: readonly Kind[]) => [...kinds].sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));

/** Every stack, plus dev with every optional app on (the dev-all-apps render target). */
function configs() {
    const all = Object.fromEntries(gitopsApps().map((a) => [a.name, true]));
    return [...stackNames().map((s) => stackConfig(s)), { ...stackConfig("dev"), stack: "dev-all-apps", apps: all }];
}

/** What the committed facts say the app's chart renders, unioned over every target by hand (not through appKinds). */
function factKinds(app: string): { namespaced: Kind[]; cluster: Kind[] } {
    const files = fs.readdirSync(inventoryDir).filter((f) => f.endsWith(".json"));
    const namespaced = new Set<string>();
    const cluster = new Set<string>();
    for (const file of files) {
        const fact = (JSON.parse(fs.readFileSync(path.join(inventoryDir, file), "utf8")) as { apps: Record<string, { namespacedKinds: string[]; clusterKinds: string[] }> }).apps[app];
        fact?.namespacedKinds.forEach((k) => namespaced.add(k));
        fact?.clusterKinds.forEach((k) => cluster.add(k));
    }
    return { namespaced: kindsOf([...namespaced]), cluster: kindsOf([...cluster]) };
}

describe("Argo CD projects", () => {
    it("the root project may create only Applications, only in argocd, only from this platform's repository", () => {
        for (const config of configs()) {
            const spec = specOf(rootProject(config));
            assert.deepEqual(spec.namespaceResourceWhitelist, [{ group: "argoproj.io", kind: "Application" }], config.stack);
            assert.deepEqual(spec.clusterResourceWhitelist, [], config.stack);
            assert.deepEqual(spec.destinations, [{ server: inCluster, namespace: argoCdNamespace }], config.stack);
            assert.deepEqual(spec.sourceRepos, [rootRepoURL(config)], config.stack);
        }
    });

    it("the root app syncs only Applications: the apps' ExternalSecrets and Jobs are their Applications' second source", () => {
        for (const config of configs()) {
            const tree = platformTree(config);
            const kustomization = tree.get("kustomization.yaml") as { resources: string[] };
            for (const file of kustomization.resources) {
                assert.equal(tree.get(file)!.kind, "Application", `${config.stack}: ${file}`);
            }
            for (const app of enabledGitopsApps(config.apps)) {
                const app_ = application(app, config);
                const sources = (app_.spec as { sources: { repoURL: string; path?: string; targetRevision: string }[] }).sources;
                assert.equal(chartSource(app_).chart, app.chart.name);
                const own = appObjects(app, config);
                if (own.length === 0) {
                    assert.equal(sources.length, 1, `${config.stack}: ${app.name} has nothing of its own to sync`);
                    continue;
                }
                assert.deepEqual(sources[1], { repoURL: rootRepoURL(config), targetRevision: config.gitops.targetRevision, path: `${config.gitops.path}/apps/${app.name}`, directory: { recurse: false } });
                const files = [...tree.keys()].filter((f) => f.startsWith(`apps/${app.name}/`));
                assert.equal(files.length, own.length, `${config.stack}: ${app.name}`);
                for (const file of files) {
                    assert.equal((tree.get(file)!.metadata as { namespace: string }).namespace, app.namespace, `${config.stack}: ${file} lives in its app's namespace`);
                }
            }
        }
    });

    it("each app's project is exactly its chart's repository, its namespaces and the kinds the render recorded", () => {
        let checked = 0;
        for (const config of configs()) {
            const projects = new Map(appProjects(config).map((p) => [nameOf(p), specOf(p)]));
            const apps = enabledGitopsApps(config.apps);
            assert.deepEqual([...projects.keys()].sort(), apps.map((a) => a.name).sort(), `${config.stack}: one project per app`);
            for (const app of apps) {
                const spec = projects.get(app.name)!;
                assert.equal((application(app, config).spec as { project: string }).project, app.name);
                const own = appObjects(app, config);
                assert.deepEqual(spec.sourceRepos, [app.chart.repo, ...(own.length > 0 ? [rootRepoURL(config)] : [])], `${config.stack}: ${app.name} repos`);
                // Its own namespace, the ones its workloads run in (node-exporter's), the chart's extra ones.
                const workloadNamespaces = app.workloads.flatMap((w) => (w.namespace === undefined ? [] : [w.namespace]));
                assert.deepEqual(
                    spec.destinations,
                    [...new Set([app.namespace, ...workloadNamespaces, ...(app.extraNamespaces ?? [])])].map((namespace) => ({ server: inCluster, namespace })),
                    `${config.stack}: ${app.name} destinations`,
                );
                const facts = factKinds(app.name);
                const ownKinds: Record<string, Kind> = {
                    ExternalSecret: { group: "external-secrets.io", kind: "ExternalSecret" },
                    Middleware: { group: "traefik.io", kind: "Middleware" },
                    Job: { group: "batch", kind: "Job" },
                };
                assert.deepEqual(own.filter((o) => !(String(o.kind) in ownKinds)), [], `${config.stack}: ${app.name}: an own object of a kind this test does not know`);
                const extra = Object.values(ownKinds).filter((k) => own.some((o) => o.kind === k.kind));
                const expected = sorted([...facts.namespaced, ...extra.filter((e) => !facts.namespaced.some((k) => k.group === e.group && k.kind === e.kind))]);
                assert.deepEqual(sorted(spec.namespaceResourceWhitelist), expected, `${config.stack}: ${app.name} namespaced kinds`);
                assert.deepEqual(sorted(spec.clusterResourceWhitelist), sorted(facts.cluster), `${config.stack}: ${app.name} cluster kinds`);
                for (const k of [...spec.namespaceResourceWhitelist, ...spec.clusterResourceWhitelist]) {
                    assert.ok(k.group !== "*" && k.kind !== "*" && !["Namespace", "ResourceQuota", "LimitRange"].includes(k.kind), `${config.stack}: ${app.name} admits ${k.group}/${k.kind}`);
                }
                assert.deepEqual(spec.namespaceResourceBlacklist, [
                    { group: "", kind: "ResourceQuota" },
                    { group: "", kind: "LimitRange" },
                ]);
                checked++;
            }
        }
        assert.ok(checked > 3 * 15, String(checked));
    });

    it("a chart with no cluster-scoped kinds gets none; a chart that renders some gets only those", () => {
        const dev = stackConfig("dev");
        const projects = new Map(appProjects(dev).map((p) => [nameOf(p), specOf(p)]));
        const namespacedOnly = enabledGitopsApps(dev.apps).filter((a) => factKinds(a.name).cluster.length === 0);
        assert.ok(namespacedOnly.length > 0, "some default app renders namespaced kinds only");
        for (const app of namespacedOnly) {
            assert.deepEqual(projects.get(app.name)!.clusterResourceWhitelist, [], app.name);
        }
    });

    it("no app project may deploy into argocd, kube-system, kyverno, vault, external-secrets or another app's namespace", () => {
        for (const ns of [argoCdNamespace, "kube-system", "kyverno", "vault", "external-secrets"]) {
            assert.ok(forbiddenAppNamespaces.includes(ns), ns);
        }
        for (const config of configs()) {
            const owners = new Map<string, string>();
            for (const project of appProjects(config)) {
                for (const { namespace } of specOf(project).destinations) {
                    assert.ok(!forbiddenAppNamespaces.includes(namespace), `${config.stack}: ${nameOf(project)} deploys into ${namespace}`);
                    assert.ok(namespace !== "*" && !namespace.includes("*"), `${config.stack}: ${nameOf(project)}: no wildcard destination`);
                    assert.equal(owners.get(namespace) ?? nameOf(project), nameOf(project), `${config.stack}: ${namespace} is in two projects`);
                    owners.set(namespace, nameOf(project));
                }
            }
        }
        // The check is real: an app claiming kube-system or another app's namespace is refused by name.
        const dev = stackConfig("dev");
        const patched = (change: (a: GitOpsApp) => GitOpsApp) => () => checkAppNamespaces(enabledGitopsApps(dev.apps).map(change));
        assert.throws(patched((a) => (a.name === "devlake" ? { ...a, extraNamespaces: ["kube-system"] } : a)), /catalog app devlake deploys into namespace kube-system, which no app project may/);
        assert.throws(patched((a) => (a.name === "devlake" ? { ...a, extraNamespaces: ["jenkins"] } : a)), /catalog apps .* both deploy into namespace jenkins/);
        // A workload's own namespace counts as the app's too.
        const moved = (namespace: string) => (a: GitOpsApp) => (a.name === "devlake" ? { ...a, workloads: a.workloads.map((w, i) => (i === 0 ? { ...w, namespace } : w)) } : a);
        assert.throws(patched(moved("kube-system")), /catalog app devlake deploys into namespace kube-system, which no app project may/);
        assert.throws(patched(moved("monitoring")), /catalog apps .* both deploy into namespace monitoring/);
    });

    it("kube-prometheus-stack's project deploys into monitoring and node-exporter's own namespace, which no other project may", () => {
        for (const config of configs()) {
            const destinations = appProjects(config).map((p) => [nameOf(p), specOf(p).destinations.map((d) => d.namespace)] as const);
            assert.deepEqual(destinations.find(([name]) => name === "kube-prometheus-stack")?.[1], ["monitoring", "node-exporter"], config.stack);
            assert.deepEqual(destinations.filter(([name, namespaces]) => name !== "kube-prometheus-stack" && namespaces.includes("node-exporter")), [], config.stack);
        }
    });

    it("kube-prometheus-stack renders no Service of its own in kube-system (the exporters that cannot be scraped are off)", () => {
        const kps = gitopsApps().find((a) => a.name === "kube-prometheus-stack")!;
        const values = chartSource(application(kps, stackConfig("prod"))).helm.valuesObject as Record<string, { enabled?: boolean; service?: { enabled: boolean } }>;
        for (const exporter of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) {
            assert.equal(values[exporter]?.enabled, false, exporter);
        }
        assert.equal(values.coreDns?.service?.enabled, false);
    });

    it("the whitelists are derived from the render facts: a new kind in a fact file shows up in the project", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-facts-"));
        for (const file of fs.readdirSync(inventoryDir).filter((f) => f.endsWith(".json"))) {
            const facts = JSON.parse(fs.readFileSync(path.join(inventoryDir, file), "utf8")) as { apps: Record<string, { namespacedKinds: string[]; clusterKinds: string[] }> };
            if (file === "prod.json") {
                facts.apps.jenkins.namespacedKinds.push("example.dev/Widget");
                facts.apps.jenkins.clusterKinds.push("example.dev/ClusterWidget");
            }
            fs.writeFileSync(path.join(dir, file), JSON.stringify(facts));
        }
        const dev = stackConfig("dev");
        const jenkins = specOf(appProjects(dev, readRenderFacts(dir)).find((p) => nameOf(p) === "jenkins")!);
        assert.ok(jenkins.namespaceResourceWhitelist.some((k) => k.group === "example.dev" && k.kind === "Widget"), "a kind one target renders is admitted in every stack");
        assert.ok(jenkins.clusterResourceWhitelist.some((k) => k.group === "example.dev" && k.kind === "ClusterWidget"));
        const committed = specOf(appProjects(dev).find((p) => nameOf(p) === "jenkins")!);
        assert.ok(!committed.namespaceResourceWhitelist.some((k) => k.group === "example.dev"));
        // A Namespace or quota in the facts is never admitted: the tenancy layer owns them.
        const facts = new Map(committedRenderFacts());
        facts.set("jenkins", [{ namespacedKinds: ["/ResourceQuota", "/ConfigMap"], clusterKinds: ["/Namespace"] }]);
        const tenancy = specOf(appProjects(dev, facts).find((p) => nameOf(p) === "jenkins")!);
        assert.deepEqual(tenancy.clusterResourceWhitelist, []);
        assert.ok(!tenancy.namespaceResourceWhitelist.some((k) => k.kind === "ResourceQuota"));
    });

    it("an app with no render facts is an error naming `npm run render`", () => {
        assert.throws(() => appKinds("jenkins", new Map()), /app jenkins has no render facts in generated\/render\/\*\.json.*npm run render/);
        const facts = new Map(committedRenderFacts());
        facts.delete("jenkins");
        assert.throws(() => appProjects(stackConfig("dev"), facts), /app jenkins has no render facts/);
    });
});
