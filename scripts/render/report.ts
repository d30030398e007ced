// What `npm run render` prints and writes: a summary of the stack's render (toolchain, every
// chart with where it came from and how faithful it is, objects and pods, requests per pool,
// the checks' findings), the manifests per app with no Secret data and no secret value, and
// the image inventory.

import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { poolDemand } from "../../components/budget";
import { formatCpu, formatMemory } from "../../components/quantity";
import type { StackAnalysis } from "./analysis";
import { checkNames, type Findings } from "./checks";
import type { K8sObject } from "./helm-template";
import { imageInventory } from "./images";
import { renderedPoolDemand } from "./pool-demand";
import { podsAtOnce } from "./quota-check";
import { schemaKubernetesVersion } from "./schemas";
import { stackPools } from "./stack-pools";

const redacted = "(redacted)";

function pad(rows: string[][]): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}

/** Requests per pool: the steady state as rendered, next to the catalog's. */
export function poolRows(analysis: StackAnalysis): string[][] {
    const config = analysis.render.sources.config;
    const pools = stackPools(config);
    const rendered = renderedPoolDemand(analysis, pools);
    const catalog = poolDemand(
        analysis.apps.map((r) => r.app),
        pools,
    );
    const names = [...new Set([...pools.map((p) => p.name), ...rendered.keys()])];
    return [
        ["pool", "rendered requests (cpu / memory)", "catalog requests"],
        ...names.map((pool) => {
            const r = rendered.get(pool);
            const c = catalog.get(pool)?.requests;
            return [pool, r ? `${formatCpu(r.cpu)} / ${formatMemory(r.memory)}` : "-", c ? `${formatCpu(c.cpu)} / ${formatMemory(c.memory)}` : "-"];
        }),
    ];
}

export function summary(analysis: StackAnalysis, findings: Findings): string {
    const { render } = analysis;
    const { sources } = render;
    const mirror = process.env.FAWKES_CHART_MIRROR;
    const lines = [
        `Render of ${sources.target.name}${sources.target.change ? ` (stack ${sources.target.stack}, changed)` : ""}: Kubernetes ${sources.kubeVersion}`,
        `  helm ${render.helm.version} (${render.helm.origin}), kubectl ${render.kubectl.version} (${render.kubectl.origin})`,
        `  charts from ${mirror ? `the mirror ${mirror}` : "their repositories (cache in node_modules/.cache/fawkes-charts)"}`,
        `  schemas: Kubernetes ${schemaKubernetesVersion} API models, and the CRDs the platform's charts install`,
        "",
    ];
    const pools = stackPools(sources.config);
    const chartRows = [["app", "chart", "installer", "provenance", "from", "objects", "pod makers", "pods", "notes"]];
    for (const c of render.charts) {
        const run = analysis.apps.find((r) => r.app.name === c.install.app);
        const notes = [c.testHooks > 0 ? `${c.testHooks} helm test hook(s) left out` : "", c.callsLookup ? "calls lookup (renders differently offline)" : "", c.apiVersions.length > 0 ? "CRD-gated templates on" : ""].filter(Boolean);
        chartRows.push([
            c.install.app,
            `${c.install.pin.name}-${c.install.pin.version}`,
            c.install.installer === "pulumi" ? "Pulumi" : "Argo CD",
            c.chart.provenance,
            c.chart.from === "mirror" ? "mirror" : "repository",
            String(c.objects.length),
            String(run?.rendered.length ?? 0),
            String((run?.rendered ?? []).reduce((n, p) => n + podsAtOnce(p, pools), 0)),
            notes.join("; "),
        ]);
    }
    lines.push(...pad(chartRows), "");
    const treeMakers = render.tree.filter((o) => o.kind === "Job").length;
    const operatorMade = analysis.apps.reduce((n, r) => n + r.operatorMade.length, 0);
    lines.push(
        `Root Application tree (kubectl kustomize ${path.relative(process.cwd(), sources.treeDir) || "."}): ${render.tree.length} objects, ${treeMakers} setup Job(s)`,
        `Operator-made pod makers modelled: ${operatorMade}`,
        `Objects: ${analysis.objects.length} rendered, ${sources.programObjects.length} applied by the program`,
        `Images: ${new Set(imageInventory(analysis).map((i) => i.image)).size} distinct`,
        "",
        "Steady-state requests per pool:",
        ...pad(poolRows(analysis)).map((l) => `  ${l}`),
        "",
        "Checks:",
    );
    for (const check of checkNames) {
        const found = findings[check];
        lines.push(`  ${check}: ${found.length === 0 ? "pass" : `${found.length} finding(s)`}`, ...found.map((f) => `    - ${f}`));
    }
    return `${lines.join("\n")}\n`;
}

/** One pattern matching any of the secret strings, longest first. */
function secretPattern(secrets: ReadonlySet<string>): RegExp | undefined {
    const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return escaped.length === 0 ? undefined : new RegExp(escaped.join("|"), "g");
}

/** A copy of `value` with every match of `pattern` (a secret string the program registered) replaced. */
function scrub(value: unknown, pattern: RegExp | undefined): unknown {
    if (typeof value === "string") {
        return pattern === undefined ? value : value.replace(pattern, redacted);
    }
    if (Array.isArray(value)) {
        return value.map((v) => scrub(v, pattern));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, pattern)]));
    }
    return value;
}

/** An object as written to --out: Secrets keep their keys, never their values. */
export function publishable(object: K8sObject, secrets: ReadonlySet<string> | RegExp | undefined): K8sObject {
    const copy = scrub(object, secrets instanceof Set ? secretPattern(secrets) : (secrets as RegExp | undefined)) as K8sObject;
    if (copy.kind === "Secret") {
        for (const field of ["data", "stringData"]) {
            const data = copy[field] as Record<string, unknown> | undefined;
            if (data) {
                copy[field] = Object.fromEntries(Object.keys(data).map((k) => [k, redacted]));
            }
        }
    }
    return copy;
}

/** Writes `<dir>/<app>.yaml` per app (charts, setup Jobs, operator-made pods) and `<dir>/summary.txt`. */
export function writeOut(dir: string, analysis: StackAnalysis, text: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const secrets = secretPattern(analysis.render.sources.secretValues);
    const byApp = new Map<string, K8sObject[]>();
    for (const { app, object } of analysis.objects) {
        byApp.set(app, [...(byApp.get(app) ?? []), publishable(object, secrets)]);
    }
    const written: string[] = [];
    for (const [app, objects] of byApp) {
        const file = path.join(dir, `${app}.yaml`);
        fs.writeFileSync(file, objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"));
        written.push(file);
    }
    const summaryFile = path.join(dir, "summary.txt");
    fs.writeFileSync(summaryFile, text);
    return [...written, summaryFile];
}

/** The image inventory as text: image, registry, and who pulls it. */
export function imagesText(analysis: StackAnalysis): string {
    const rows = [["image", "registry", "app/workload/container"], ...imageInventory(analysis).map((u) => [u.image, u.registry, `${u.app}/${u.workload}/${u.container}`])];
    return `${pad(rows).join("\n")}\n`;
}
