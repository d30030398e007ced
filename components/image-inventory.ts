// The image inventory the render writes (generated/render/<stack>.json, committed; see
// scripts/render/facts.ts), read by the program at `pulumi up` without running Helm.

import * as fs from "node:fs";
import * as path from "node:path";

export interface InventoryImage {
    readonly image: string;
    readonly registry: string;
    readonly apps: readonly string[];
}

export const inventoryDir = path.join(__dirname, "..", "generated", "render");

/** The images of one rendered stack (`dev`, `prod`, `dev-all-apps`, ...), or undefined when it was never rendered. */
export function stackImages(stack: string): InventoryImage[] | undefined {
    const file = path.join(inventoryDir, `${stack}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { images: InventoryImage[] }).images : undefined;
}

/** Every registry any rendered stack pulls from: the stack with every optional app on included, so switching an app on needs no new cache. */
export function inventoryRegistries(): string[] {
    const files = fs.existsSync(inventoryDir) ? fs.readdirSync(inventoryDir).filter((f) => f.endsWith(".json")) : [];
    const registries = files.flatMap((f) => stackImages(f.slice(0, -".json".length))!.map((i) => i.registry));
    return [...new Set(registries)].sort();
}
