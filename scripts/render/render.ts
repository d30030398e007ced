// Renders a stack: every chart it installs (Pulumi's Helm releases and Argo CD's
// Applications) with the values the program sends, and the root Application's own tree with
// `kubectl kustomize`. Renders are cached per process, so the test files share one render
// per stack, and on disk per chart and values (helm-template.ts).

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { type ResolvedChart, resolveChart } from "./charts";
import { chartCallsLookup, chartReadsApiVersions, helmTemplate, type K8sObject } from "./helm-template";
import { type ChartInstall, type RenderTarget, type StackSources, stackSources } from "./sources";
import { helmTool, kubectlTool, type Tool } from "./toolchain";

const execFileAsync = promisify(execFile);

export interface RenderedChart {
    readonly install: ChartInstall;
    readonly chart: ResolvedChart;
    readonly objects: readonly K8sObject[];
    readonly testHooks: number;
    readonly callsLookup: boolean;
    /** The extra API versions it was rendered with. */
    readonly apiVersions: readonly string[];
}

export interface StackRender {
    readonly sources: StackSources;
    readonly helm: Tool;
    readonly kubectl: Tool;
    readonly charts: readonly RenderedChart[];
    /** The root Application's tree as kustomize builds it (Applications), and the apps' own ExternalSecrets and setup Jobs. */
    readonly tree: readonly K8sObject[];
}

/** Runs `work` over `items`, at most `limit` at a time (2 cores: Helm is mostly CPU). */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await work(items[i], i);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** `group/version` and `group/version/Kind` of every served version of the CRDs among `objects`. */
export function servedApis(objects: readonly K8sObject[]): string[] {
    const apis = new Set<string>();
    for (const o of objects) {
        if (o.kind !== "CustomResourceDefinition") {
            continue;
        }
        const spec = o.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
        for (const v of spec.versions.filter((v) => v.served)) {
            apis.add(`${spec.group}/${v.name}`);
            apis.add(`${spec.group}/${v.name}/${spec.names.kind}`);
        }
    }
    return [...apis].sort();
}

async function kustomize(dir: string): Promise<K8sObject[]> {
    const { stdout } = await execFileAsync(kubectlTool().path, ["kustomize", dir], { maxBuffer: 64 * 1024 * 1024 });
    return parseAllDocuments(stdout)
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null);
}

/** The apps' own objects (ExternalSecrets, setup Jobs) in apps/<app>/, which each app's Application syncs as plain YAML. */
function appObjects(treeDir: string): K8sObject[] {
    const appsDir = path.join(treeDir, "apps");
    const dirs = fs.existsSync(appsDir) ? fs.readdirSync(appsDir, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
    return dirs
        .flatMap((d) => fs.readdirSync(path.join(appsDir, d.name)).filter((f) => f.endsWith(".yaml")).sort().map((f) => path.join(appsDir, d.name, f)))
        .flatMap((file) => parseAllDocuments(fs.readFileSync(file, "utf8")).map((doc) => doc.toJS() as K8sObject | null))
        .filter((o): o is K8sObject => o !== null);
}

async function renderUncached(target: RenderTarget): Promise<StackRender> {
    const sources = await stackSources(target);
    const charts = sources.charts.map((install) => ({ install, chart: resolveChart(install.pin) }));
    const template = (c: (typeof charts)[number], apiVersions: readonly string[]) =>
        helmTemplate({ chart: c.chart, releaseName: c.install.releaseName, namespace: c.install.namespace, values: c.install.values, kubeVersion: sources.kubeVersion, apiVersions });
    // First without any custom API: that finds the CRDs each chart installs.
    const first = await inParallel(charts, 3, (c) => template(c, []));
    const firstRender = new Map(charts.map((c, i) => [c.install.app, first[i].objects]));
    // Then again, for the charts that look, with the APIs the CRDs of what is installed before them serve.
    const rendered = await inParallel(charts, 3, async (c, i): Promise<RenderedChart> => {
        const before = c.install.installer === "argocd" ? charts.map((o) => o.install.app) : c.install.after;
        const apiVersions = chartReadsApiVersions(c.chart) ? servedApis(before.flatMap((app) => firstRender.get(app) ?? [])) : [];
        const result = apiVersions.length > 0 ? await template(c, apiVersions) : first[i];
        return { install: c.install, chart: c.chart, objects: result.objects, testHooks: result.testHooks, callsLookup: chartCallsLookup(c.chart), apiVersions };
    });
    return { sources, helm: helmTool(), kubectl: kubectlTool(), charts: rendered, tree: [...(await kustomize(sources.treeDir)), ...appObjects(sources.treeDir)] };
}

const renders = new Map<string, Promise<StackRender>>();

/** The render of a target, once per process. */
export function renderStack(target: RenderTarget): Promise<StackRender> {
    let pending = renders.get(target.name);
    if (pending === undefined) {
        pending = renderUncached(target);
        renders.set(target.name, pending);
    }
    return pending;
}
