// One `helm template` of a pinned chart, as the real installers render it: the release name
// and namespace the program uses, the stack's Kubernetes version, the API versions the
// platform's CRDs serve, the chart's CRDs, and its hooks, except `helm test` hooks, which
// neither Argo CD nor Pulumi's helm.v3.Release runs.

import { execFile, execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { projectRoot } from "../lib/harness";
import { helmEnv, type ResolvedChart } from "./charts";
import { helmTool } from "./toolchain";

const execFileAsync = promisify(execFile);

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

export interface TemplateRequest {
    readonly chart: ResolvedChart;
    readonly releaseName: string;
    readonly namespace: string;
    readonly values: Record<string, unknown>;
    readonly kubeVersion: string;
    /** Extra API versions (`group/version` and `group/version/Kind`) the cluster serves. */
    readonly apiVersions: readonly string[];
}

export interface Template {
    readonly objects: readonly K8sObject[];
    /** Objects left out because they are `helm test` hooks. */
    readonly testHooks: number;
}

/** Helm hook phases of an object, from its `helm.sh/hook` annotation (none for a plain object). */
export function hookPhases(o: K8sObject): string[] {
    const hook = o.metadata.annotations?.["helm.sh/hook"];
    return hook === undefined ? [] : hook.split(",").map((h) => h.trim()).filter((h) => h !== "");
}

const isTestHook = (o: K8sObject) => hookPhases(o).some((h) => h === "test" || h === "test-success" || h === "test-failure");

/** Renders on disk are cached by everything that decides them, so a warm `npm test` skips Helm. */
const cacheDir = path.join(projectRoot, "node_modules", ".cache", "fawkes-render");

function cacheKey(req: TemplateRequest): string {
    const inputs = {
        helm: helmTool().version,
        chart: req.chart.sha256,
        release: req.releaseName,
        namespace: req.namespace,
        kube: req.kubeVersion,
        apis: [...req.apiVersions].sort(),
        values: req.values,
        format: 1,
    };
    return crypto.createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

function parseManifests(text: string, source: string): K8sObject[] {
    const objects: K8sObject[] = [];
    for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) {
            throw new Error(`${source}: Helm rendered YAML that does not parse: ${doc.errors[0].message}`);
        }
        const value = doc.toJS() as K8sObject | null;
        if (value === null || typeof value !== "object") {
            continue;
        }
        // A List (some charts render one) stands for its items.
        if (value.kind === "List" && Array.isArray(value.items)) {
            objects.push(...(value.items as K8sObject[]));
        } else {
            objects.push(value);
        }
    }
    return objects;
}

export async function helmTemplate(req: TemplateRequest): Promise<Template> {
    const key = cacheKey(req);
    const cached = path.join(cacheDir, `${key}.json`);
    let objects: K8sObject[];
    if (fs.existsSync(cached)) {
        objects = JSON.parse(fs.readFileSync(cached, "utf8")) as K8sObject[];
    } else {
        fs.mkdirSync(cacheDir, { recursive: true });
        const valuesFile = path.join(cacheDir, `${key}.values.json`);
        fs.writeFileSync(valuesFile, JSON.stringify(req.values));
        const args = ["template", req.releaseName, req.chart.file, "--namespace", req.namespace, "--values", valuesFile, "--kube-version", req.kubeVersion, "--include-crds"];
        for (const api of req.apiVersions) {
            args.push("--api-versions", api);
        }
        let stdout: string;
        try {
            ({ stdout } = await execFileAsync(helmTool().path, args, { env: helmEnv(), maxBuffer: 256 * 1024 * 1024 }));
        } catch (e) {
            const stderr = String((e as { stderr?: string }).stderr ?? e).trim();
            throw new Error(`helm template ${req.releaseName} (${req.chart.pin.name}-${req.chart.pin.version}) failed: ${stderr}`);
        } finally {
            fs.rmSync(valuesFile, { force: true });
        }
        objects = parseManifests(stdout, `${req.chart.pin.name}-${req.chart.pin.version}`);
        const partial = `${cached}.${process.pid}`;
        fs.writeFileSync(partial, JSON.stringify(objects));
        fs.renameSync(partial, cached);
    }
    const kept = objects.filter((o) => !isTestHook(o));
    return { objects: kept, testHooks: objects.length - kept.length };
}

/** Whether any template of the chart (or its subcharts) calls Helm's `lookup`, which renders differently offline. */
export function chartCallsLookup(chart: ResolvedChart): boolean {
    return /\blookup\s+"[^"]*"\s+"/.test(chartTemplateText(chart));
}

/** Whether the chart's templates look at the API versions the cluster serves. */
export function chartReadsApiVersions(chart: ResolvedChart): boolean {
    return chartTemplateText(chart).includes("Capabilities.APIVersions");
}

const templateTexts = new Map<string, string>();

/** The text of every templates/ file in the chart package, subcharts included, as one string. */
function chartTemplateText(chart: ResolvedChart): string {
    let text = templateTexts.get(chart.sha256);
    if (text === undefined) {
        text = execFileSync("tar", ["-xOzf", chart.file, "--wildcards", "*/templates/*"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        templateTexts.set(chart.sha256, text);
    }
    return text;
}
