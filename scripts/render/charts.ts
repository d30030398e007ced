// Where each pinned chart comes from for a render: the local mirror named by
// FAWKES_CHART_MIRROR (a folder of `<name>-<version>.tgz` with a sources.json, such as
// ../shared/charts), or, without it, the chart's own repository, pulled once into a cache.
// A chart the mirror lacks is an error naming it: a render never skips a chart.

import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ChartPin } from "../../components/catalog";
import { projectRoot } from "../lib/harness";
import { helmTool, ToolchainError } from "./toolchain";

/** How far a chart package is from the one its publisher ships. */
export type ChartProvenance = "upstream-built" | "reconstructed" | "non-upstream" | "published";

export interface ResolvedChart {
    readonly pin: ChartPin;
    /** The chart package (.tgz) on disk. */
    readonly file: string;
    readonly sha256: string;
    /** "mirror" or the repository it was pulled from. */
    readonly from: string;
    readonly provenance: ChartProvenance;
    /** What the mirror says about how the package differs from the published one. */
    readonly deviations?: string;
}

interface MirrorEntry {
    readonly name: string;
    readonly version: string;
    readonly file: string;
    readonly reconstructed: boolean;
    readonly deviations: string;
}

export const chartId = (pin: Pick<ChartPin, "name" | "version">) => `${pin.name}-${pin.version}`;

/** Argo CD names OCI repositories without a scheme; Helm wants `oci://` and the chart in the reference. */
export const isOciRepo = (repo: string) => repo.startsWith("oci://") || !/^https?:\/\//.test(repo);

const mirrors = new Map<string, readonly MirrorEntry[]>();

function mirrorEntries(dir: string): readonly MirrorEntry[] {
    let entries = mirrors.get(dir);
    if (entries === undefined) {
        const file = path.join(dir, "sources.json");
        if (!fs.existsSync(file)) {
            throw new ToolchainError(`FAWKES_CHART_MIRROR=${dir} has no sources.json: point it at a chart mirror such as ../shared/charts`);
        }
        entries = JSON.parse(fs.readFileSync(file, "utf8")) as MirrorEntry[];
        mirrors.set(dir, entries);
    }
    return entries;
}

function provenanceOf(entry: MirrorEntry | undefined, chartYaml: string): ChartProvenance {
    if (entry?.reconstructed || /fawkes\.dev\/mirror:/.test(chartYaml)) {
        return "reconstructed";
    }
    return entry && /^NOT built from the upstream source/.test(entry.deviations) ? "non-upstream" : "upstream-built";
}

const sha256Of = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function chartYamlOf(file: string, name: string): string {
    return execFileSync("tar", ["-xOzf", file, `${name}/Chart.yaml`], { encoding: "utf8" });
}

function fromMirror(pin: ChartPin, dir: string): ResolvedChart {
    const file = path.join(dir, `${chartId(pin)}.tgz`);
    if (!fs.existsSync(file)) {
        throw new ToolchainError(`chart ${chartId(pin)} is not in the mirror ${dir}: add ${chartId(pin)}.tgz to it (or unset FAWKES_CHART_MIRROR to pull from ${pin.repo})`);
    }
    const entry = mirrorEntries(dir).find((e) => e.name === pin.name && e.version === pin.version);
    return {
        pin,
        file,
        sha256: sha256Of(file),
        from: "mirror",
        provenance: provenanceOf(entry, chartYamlOf(file, pin.name)),
        ...(entry?.deviations ? { deviations: entry.deviations } : {}),
    };
}

function fromRepository(pin: ChartPin): ResolvedChart {
    const cache = path.join(projectRoot, "node_modules", ".cache", "fawkes-charts");
    const file = path.join(cache, `${chartId(pin)}.tgz`);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(cache, { recursive: true });
        const oci = isOciRepo(pin.repo);
        const ref = oci ? `oci://${pin.repo.replace(/^oci:\/\//, "")}/${pin.name}` : pin.name;
        try {
            execFileSync(helmTool().path, ["pull", ref, ...(oci ? [] : ["--repo", pin.repo]), "--version", pin.version, "--destination", cache], {
                stdio: ["ignore", "pipe", "pipe"],
                env: helmEnv(),
            });
        } catch (e) {
            throw new ToolchainError(`could not pull chart ${chartId(pin)} from ${pin.repo}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()} (set FAWKES_CHART_MIRROR to a local mirror)`);
        }
    }
    return { pin, file, sha256: sha256Of(file), from: pin.repo, provenance: "published" };
}

/** Helm's cache, config and data folders inside node_modules/.cache, so a read-only home does not matter. */
export function helmEnv(): NodeJS.ProcessEnv {
    const home = path.join(projectRoot, "node_modules", ".cache", "fawkes-helm");
    return { ...process.env, HELM_CACHE_HOME: path.join(home, "cache"), HELM_CONFIG_HOME: path.join(home, "config"), HELM_DATA_HOME: path.join(home, "data") };
}

const resolved = new Map<string, ResolvedChart>();

/** The chart package for a pin, from the mirror when FAWKES_CHART_MIRROR is set, else its repository. */
export function resolveChart(pin: ChartPin): ResolvedChart {
    const mirror = process.env.FAWKES_CHART_MIRROR;
    const key = `${mirror ?? ""}|${pin.repo}|${chartId(pin)}`;
    let chart = resolved.get(key);
    if (chart === undefined) {
        chart = mirror ? fromMirror(pin, path.resolve(mirror)) : fromRepository(pin);
        resolved.set(key, chart);
    }
    return chart;
}
