// Prefetching a stack's images into the kind backend's pull-through registry caches
// (components/cluster/image-cache.ts): each image is pulled through its registry's cache on
// 127.0.0.1:<hostPort> with the Docker CLI, which makes the cache fetch and keep the blobs,
// and the local tag is removed again so that Docker keeps no second copy. Docker allows plain
// http to registries on 127.0.0.0/8 by default.
//
// The Docker binary is FAWKES_DOCKER, else `docker` on PATH (the tests use a stand-in).

import { spawnSync } from "node:child_process";
import { type RegistryCache, registryCache } from "../../components/cluster/image-cache";
import type { InventoryImage } from "../../components/image-inventory";

export type Arch = "amd64" | "arm64";

export const arches: readonly Arch[] = ["amd64", "arm64"];

/** What one Docker CLI call returned; `error` when it could not be started at all. */
export interface DockerResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly error?: Error;
}

export type Docker = (args: readonly string[]) => DockerResult;

/** The Docker CLI: FAWKES_DOCKER, else `docker` on PATH. */
export function dockerCli(binary = process.env.FAWKES_DOCKER || "docker"): Docker {
    return (args) => {
        const r = spawnSync(binary, [...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
    };
}

/** An error starting Docker or its last line of stderr, without the daemon's prefix. */
function reason(r: DockerResult): string {
    if (r.error) {
        return r.error.message;
    }
    const lines = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const last = lines.at(-1) ?? `exit status ${r.status}`;
    return last.replace(/^Error response from daemon:\s*/i, "");
}

/**
 * Where an image is inside its registry: the repository path (Docker Hub's short names get
 * `library/`, the registry's host is dropped) and the tag or digest (a digest wins over a tag
 * beside it; neither means `latest`, as Docker would pull).
 */
export function repositoryPath(image: string, registry: string): { readonly path: string; readonly reference: string } {
    let name = image.startsWith(`${registry}/`) ? image.slice(registry.length + 1) : image;
    let reference = "";
    const at = name.indexOf("@");
    if (at >= 0) {
        reference = name.slice(at);
        name = name.slice(0, at);
    }
    const colon = name.lastIndexOf(":");
    if (colon > name.lastIndexOf("/")) {
        reference ||= name.slice(colon);
        name = name.slice(0, colon);
    }
    if (registry === "docker.io" && !name.includes("/")) {
        name = `library/${name}`;
    }
    return { path: name, reference: reference || ":latest" };
}

/** The reference that pulls `image` through its registry's cache on the Docker host. */
export function cacheReference(image: string, cache: RegistryCache): string {
    const { path, reference } = repositoryPath(image, cache.registry);
    return `127.0.0.1:${cache.hostPort}/${path}${reference}`;
}

const cannotRun = (e: Error) => new Error(`cannot run the Docker CLI: ${e.message} (set FAWKES_DOCKER to it)`);

/** Docker's names for the two architectures, from what `docker version` or `uname -m` says. */
export function archOf(machine: string): Arch | undefined {
    const m = machine.trim().toLowerCase();
    return m === "x86_64" || m === "amd64" ? "amd64" : m === "aarch64" || m === "arm64" ? "arm64" : undefined;
}

/** The Docker host's architecture (the server's, which may differ from this machine's). */
export function hostArch(docker: Docker): Arch {
    const r = docker(["version", "--format", "{{.Server.Arch}}"]);
    if (r.error) {
        throw cannotRun(r.error);
    }
    if (r.status !== 0) {
        throw new Error(`docker version failed: ${reason(r)}`);
    }
    const arch = archOf(r.stdout);
    if (!arch) {
        throw new Error(`the Docker host's architecture ${r.stdout.trim() || "(empty)"} is not amd64 or arm64; pass --arch`);
    }
    return arch;
}

/** The caches the images need, one per registry, sorted by registry. */
export function cachesFor(images: readonly InventoryImage[]): RegistryCache[] {
    return [...new Set(images.map((i) => i.registry))].sort().map(registryCache);
}

/** The caches whose container is not running (or does not exist). */
export function stoppedCaches(docker: Docker, caches: readonly RegistryCache[]): RegistryCache[] {
    return caches.filter((c) => {
        const r = docker(["inspect", "--format", "{{.State.Running}}", c.container]);
        if (r.error) {
            throw cannotRun(r.error);
        }
        return r.status !== 0 || r.stdout.trim() !== "true";
    });
}

export type PullOutcome =
    | { readonly image: string; readonly status: "ok"; readonly bytes: number; readonly note?: string }
    | { readonly image: string; readonly status: "missing-arch" }
    | { readonly image: string; readonly status: "failed"; readonly reason: string };

export interface PrefetchReport {
    readonly arch: Arch;
    readonly outcomes: readonly PullOutcome[];
}

const missingArch = /no matching manifest for|no match for platform/i;

export const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Pulls one image through its cache, measures it, and removes the local tag. */
export function pullThroughCache(docker: Docker, image: string, cache: RegistryCache, arch: Arch): PullOutcome {
    const ref = cacheReference(image, cache);
    const pulled = docker(["pull", "--platform", `linux/${arch}`, ref]);
    if (pulled.status !== 0 || pulled.error) {
        return missingArch.test(pulled.stderr) ? { image, status: "missing-arch" } : { image, status: "failed", reason: reason(pulled) };
    }
    const size = docker(["image", "inspect", "--format", "{{.Size}}", ref]);
    const bytes = size.status === 0 ? Number(size.stdout.trim()) || 0 : 0;
    const removed = docker(["rmi", ref]);
    return { image, status: "ok", bytes, note: removed.status === 0 ? undefined : `local copy kept, rmi failed: ${reason(removed)}` };
}

/** The progress line's ending for one outcome. */
export function outcomeText(o: PullOutcome, arch: Arch): string {
    switch (o.status) {
        case "ok":
            return `ok (${megabytes(o.bytes)})${o.note ? `; ${o.note}` : ""}`;
        case "missing-arch":
            return `missing linux/${arch}`;
        case "failed":
            return `failed: ${o.reason}`;
    }
}

/**
 * Pulls every image through its registry's cache, in the inventory's order, writing one
 * progress line per image (`[n/N] <image> ... ok (12.3 MB)`) to `write`.
 */
export function prefetch(docker: Docker, images: readonly InventoryImage[], arch: Arch, write: (text: string) => void = (t) => process.stdout.write(t)): PrefetchReport {
    const outcomes: PullOutcome[] = [];
    images.forEach((i, n) => {
        write(`[${n + 1}/${images.length}] ${i.image} ... `);
        const outcome = pullThroughCache(docker, i.image, registryCache(i.registry), arch);
        write(`${outcomeText(outcome, arch)}\n`);
        outcomes.push(outcome);
    });
    return { arch, outcomes };
}

/** The lines after the progress: what was pulled, how much, and what was missing or failed. */
export function summary(report: PrefetchReport): string[] {
    const ok = report.outcomes.filter((o) => o.status === "ok");
    const missing = report.outcomes.filter((o) => o.status === "missing-arch");
    const failed = report.outcomes.filter((o) => o.status === "failed");
    const bytes = ok.reduce((sum, o) => sum + o.bytes, 0);
    const lines = [`pulled ${ok.length} of ${report.outcomes.length} images for linux/${report.arch}, ${megabytes(bytes)} in total (${bytes} bytes)`];
    lines.push(`missing linux/${report.arch}: ${missing.length === 0 ? "none" : missing.length}`, ...missing.map((o) => `  ${o.image}`));
    lines.push(`failed: ${failed.length === 0 ? "none" : failed.length}`, ...failed.map((o) => `  ${o.image}: ${o.reason}`));
    return lines;
}

/** Whether the prefetch left anything out (the CLI then exits 1). */
export function incomplete(report: PrefetchReport): boolean {
    return report.outcomes.some((o) => o.status !== "ok");
}
