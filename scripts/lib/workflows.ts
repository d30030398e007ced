// Reads the GitHub workflows for the CI boundary checks in test/tooling.spec.ts: which actions
// they use and how they are pinned, and per job its environment, condition, permissions, the
// secrets it names, its env and its steps.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** One step, as far as the checks read it. */
export interface WorkflowStep {
    name?: string;
    id?: string;
    if?: string;
    uses?: string;
    run?: string;
    with: Record<string, unknown>;
    timeoutMinutes?: number;
}

export interface WorkflowJob {
    file: string;
    name: string;
    environment?: string;
    if?: string;
    permissions: unknown;
    /** Every `secrets.NAME` the job's text names. */
    secrets: string[];
    /** The job's `uses:` values (its steps', or the job's own for a reusable workflow). */
    uses: string[];
    /** The job's own env (not the workflow's). */
    env: Record<string, unknown>;
    steps: WorkflowStep[];
}

export interface Workflow {
    file: string;
    text: string;
    on: unknown;
    permissions: unknown;
    jobs: WorkflowJob[];
}

type Dict = Record<string, unknown>;

function asDict(value: unknown): Dict {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Dict) : {};
}

function secretsNamed(value: unknown): string[] {
    const names = [...JSON.stringify(value ?? null).matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    return [...new Set(names)].sort();
}

function jobOf(file: string, name: string, raw: unknown): WorkflowJob {
    const job = asDict(raw);
    const environment = job.environment;
    const steps = Array.isArray(job.steps) ? job.steps.map(asDict) : [];
    const uses = [...(typeof job.uses === "string" ? [job.uses] : []), ...steps.flatMap((s) => (typeof s.uses === "string" ? [s.uses] : []))];
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
        file,
        name,
        environment: typeof environment === "string" ? environment : (asDict(environment).name as string | undefined),
        if: text(job.if),
        permissions: job.permissions,
        secrets: secretsNamed(job),
        uses,
        env: asDict(job.env),
        steps: steps.map((s) => ({
            name: text(s.name),
            id: text(s.id),
            if: text(s.if),
            uses: text(s.uses),
            run: text(s.run),
            with: asDict(s.with),
            timeoutMinutes: typeof s["timeout-minutes"] === "number" ? s["timeout-minutes"] : undefined,
        })),
    };
}

export function parseWorkflow(file: string, text: string): Workflow {
    const doc = asDict(parse(text));
    return {
        file,
        text,
        // YAML 1.1 parsers read a bare `on` as true; `yaml` (1.2) keeps the key "on".
        on: doc.on,
        permissions: doc.permissions,
        jobs: Object.entries(asDict(doc.jobs)).map(([name, job]) => jobOf(file, name, job)),
    };
}

export function readWorkflows(dir: string): Workflow[] {
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => parseWorkflow(f, fs.readFileSync(path.join(dir, f), "utf8")));
}

/** A third-party action pinned by commit: `owner/repo[/path]@<40 hex> # vX[.Y.Z]`. */
export interface ActionPin {
    action: string;
    sha: string;
    version: string;
}

/**
 * Every `uses:` line of a workflow's text that is not a local action (./), checked for a full
 * commit SHA and a `# vX` comment naming the version. Returns the pins and the problems.
 */
export function actionPins(file: string, text: string): { pins: ActionPin[]; problems: string[] } {
    const pins: ActionPin[] = [];
    const problems: string[] = [];
    text.split("\n").forEach((line, i) => {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(.*)$/.exec(line);
        if (!m || m[1].startsWith("./")) return;
        const where = `${file}:${i + 1}: ${line.trim()}`;
        const ref = /^([\w.-]+\/[\w.-]+(?:\/[\w./-]+)?)@([0-9a-f]{40})$/.exec(m[1]);
        const version = /^# (v\d+(?:\.\d+){0,2})$/.exec(m[2]);
        if (!ref) problems.push(`${where}: not pinned by a full 40-hex commit SHA`);
        if (!version) problems.push(`${where}: no "# vX[.Y.Z]" comment naming the version`);
        if (ref && version) pins.push({ action: ref[1], sha: ref[2], version: version[1] });
    });
    return { pins, problems };
}
