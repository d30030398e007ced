// The images a stack's pods pull, and whether each is pinned: an exact tag or a digest. A
// floating tag (latest, a bare major or major.minor such as `mysql:8` or `alpine:3.16`, or a
// channel name) would let a node pull something else tomorrow than what was rendered today.

import type { StackAnalysis } from "./analysis";
import { allContainers, type PodMaker } from "./pods";

export interface ImageUse {
    readonly image: string;
    readonly registry: string;
    readonly app: string;
    readonly workload: string;
    readonly container: string;
}

/** Tags that name a channel rather than a release, alone or with a variant (`lts-jdk21`, `stable-alpine`). */
const channel = /^(latest|stable|edge|main|master|nightly|dev|develop|canary|rolling|lts|community|current|alpine|slim)([-_.]|$)/i;

/** The registry an image reference pulls from (Docker Hub when the first segment is not a host). */
export function registryOf(image: string): string {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** Why an image reference is not pinned, or undefined when it is (an exact tag, or a digest). */
export function imagePinProblem(image: string): string | undefined {
    if (image.includes("@")) {
        return /@sha256:[0-9a-f]{64}$/.test(image) ? undefined : `${image} has a malformed digest (sha256 and 64 hex digits)`;
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (image === "" || colon < 0) {
        return `${image === "" ? "(empty image)" : image} has no tag or digest`;
    }
    const tag = lastSegment.slice(colon + 1);
    if (channel.test(tag) || !/\d/.test(tag)) {
        return `${image} uses the floating tag ${tag}`;
    }
    // A bare major or major.minor, with or without a variant (`8`, `3.16`, `7-alpine`, `3.12-slim`).
    if (/^v?\d+(\.\d+)?(-[a-z][a-z0-9.-]*)?$/i.test(tag)) {
        return `${image} uses ${tag}, a major or minor series that floats over releases; pin the full version or a digest`;
    }
    return undefined;
}

function usesOf(app: string, p: PodMaker): ImageUse[] {
    return allContainers(p.template.spec).map(({ container }) => ({ image: container.image, registry: registryOf(container.image), app, workload: p.name, container: container.name }));
}

/** Every image every pod of the stack pulls, operator-made pods included, sorted by image then app. */
export function imageInventory(analysis: StackAnalysis): ImageUse[] {
    const uses = analysis.apps.flatMap((run) => [...run.rendered, ...run.operatorMade].flatMap((p) => usesOf(run.app.name, p)));
    return uses.sort((a, b) => a.image.localeCompare(b.image) || a.app.localeCompare(b.app) || a.workload.localeCompare(b.workload));
}
