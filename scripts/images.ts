// `npm run images -- --stack <name> [--prefetch] [--arch amd64|arm64]`
//
// Prints a rendered stack's image inventory (generated/render/<stack>.json): every image
// with its registry and the apps that pull it, and the count per registry with its cache.
// With --prefetch it pulls every image through its registry's pull-through cache on the
// Docker host (started by `pulumi up` of a kind stack), for --arch or else the Docker host's
// architecture, so that a new cluster starts from the caches. Exits 1 when an image failed
// or lacks the architecture, 2 on bad input. FAWKES_DOCKER overrides the Docker CLI.

import * as fs from "node:fs";
import * as path from "node:path";
import { type InventoryImage, inventoryDir, stackImages } from "../components/image-inventory";
import { kindNodeImages } from "../components/kubernetes-versions";
import { option } from "./lib/args";
import { type Arch, arches, cachesFor, dockerCli, hostArch, incomplete, prefetch, stoppedCaches, summary } from "./lib/prefetch";

const projectRoot = path.resolve(__dirname, "..");

const usage = "usage: npm run images -- --stack <name> [--prefetch] [--arch amd64|arm64]";

/** Stacks with a committed inventory. */
function inventoryStacks(): string[] {
    return fs.existsSync(inventoryDir)
        ? fs
              .readdirSync(inventoryDir)
              .filter((f) => f.endsWith(".json"))
              .map((f) => f.slice(0, -".json".length))
              .sort()
        : [];
}

/** The Pulumi stack that runs a rendered stack: itself, or the stack file a variant (`dev-all-apps`) renders. */
function pulumiStack(stack: string): string {
    const files = fs.readdirSync(projectRoot).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    if (files.includes(stack)) {
        return stack;
    }
    return files.filter((s) => stack.startsWith(`${s}-`)).sort((a, b) => b.length - a.length)[0] ?? stack;
}

function kindNodeNote(stack: string): string {
    const inventory = JSON.parse(fs.readFileSync(path.join(inventoryDir, `${stack}.json`), "utf8")) as { kubernetesVersion?: string };
    const minor = /^(\d+\.\d+)/.exec(inventory.kubernetesVersion ?? "")?.[1];
    const node = minor === undefined ? undefined : kindNodeImages[minor];
    return `note: the kind node image${node ? ` (${node})` : ""} is pulled by Docker itself when kind creates the cluster, outside the caches.`;
}

function table(rows: readonly (readonly string[])[]): string {
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  ")).join("\n");
}

function list(stack: string, images: readonly InventoryImage[]): void {
    console.log(`Stack ${stack}: ${images.length} images\n`);
    console.log(table([["IMAGE", "REGISTRY", "APPS"], ...images.map((i) => [i.image, i.registry, i.apps.join(",")])]));
    console.log("\nPer registry:");
    const caches = cachesFor(images);
    console.log(
        table(caches.map((c) => [`  ${c.registry}`, String(images.filter((i) => i.registry === c.registry).length), `cache ${c.container} on 127.0.0.1:${c.hostPort}`])),
    );
    console.log(`\n${kindNodeNote(stack)}`);
}

function runPrefetch(stack: string, images: readonly InventoryImage[], requested: Arch | undefined): number {
    const docker = dockerCli();
    let arch: Arch;
    try {
        arch = requested ?? hostArch(docker);
        const stopped = stoppedCaches(docker, cachesFor(images));
        if (stopped.length > 0) {
            console.error(
                `${stopped.length === 1 ? "the image cache" : "image caches"} ${stopped.map((c) => c.container).join(", ")} ${stopped.length === 1 ? "is" : "are"} not running: run \`pulumi up -s ${pulumiStack(stack)}\` first (it starts the caches)`,
            );
            return 1;
        }
    } catch (e) {
        console.error((e as Error).message);
        return 1;
    }
    const registries = new Set(images.map((i) => i.registry)).size;
    console.log(`Prefetching ${images.length} images of stack ${stack} for linux/${arch} through ${registries} registry caches\n`);
    const report = prefetch(docker, images, arch);
    console.log(`\n${summary(report).join("\n")}`);
    console.log(`\n${kindNodeNote(stack)}`);
    return incomplete(report) ? 1 : 0;
}

function main(): number {
    const stack = option("stack");
    const known = inventoryStacks();
    if (stack === undefined || !known.includes(stack)) {
        console.error(`${stack === undefined ? "--stack is required" : `no image inventory for stack ${stack}`}; stacks with an inventory: ${known.join(", ") || "none (run npm run render)"}\n${usage}`);
        return 2;
    }
    const arch = option("arch");
    if (arch !== undefined && !arches.includes(arch as Arch)) {
        console.error(`--arch must be ${arches.join(" or ")}, not ${arch}\n${usage}`);
        return 2;
    }
    const images = [...stackImages(stack)!].sort((a, b) => a.image.localeCompare(b.image));
    if (!process.argv.includes("--prefetch")) {
        list(stack, images);
        return 0;
    }
    return runPrefetch(stack, images, arch as Arch | undefined);
}

if (require.main === module) {
    process.exitCode = main();
}
