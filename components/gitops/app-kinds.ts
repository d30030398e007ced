// The kinds each Argo CD app's chart renders, as the render wrote them (generated/render/<target>.json,
// committed; scripts/render/facts.ts): what the app's AppProject whitelists. Read here rather
// than listed by hand, so a chart upgrade that needs a new kind changes the facts, and with
// them the project, in one reviewed diff.

import * as fs from "node:fs";
import * as path from "node:path";
import { inventoryDir } from "../image-inventory";

/** An AppProject whitelist entry; `group` is "" for the core API. */
export interface GroupKind {
    readonly group: string;
    readonly kind: string;
}

export interface AppKinds {
    readonly namespaced: readonly GroupKind[];
    readonly cluster: readonly GroupKind[];
}

/** What the render records per app: `group/Kind` strings (see scripts/render/facts.ts AppFacts). */
interface FactApp {
    readonly namespacedKinds: readonly string[];
    readonly clusterKinds: readonly string[];
}

/** App name → the facts of every rendered target it appears in. */
export type RenderFacts = ReadonlyMap<string, readonly FactApp[]>;

/** Reads every target's facts in `dir` (the committed generated/render/ unless told). */
export function readRenderFacts(dir = inventoryDir): RenderFacts {
    const facts = new Map<string, FactApp[]>();
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : [];
    for (const file of files) {
        const stack = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { apps?: Record<string, FactApp> };
        for (const [app, fact] of Object.entries(stack.apps ?? {})) {
            facts.set(app, [...(facts.get(app) ?? []), fact]);
        }
    }
    return facts;
}

let committed: RenderFacts | undefined;

/** The committed facts, read once per process. */
export function committedRenderFacts(): RenderFacts {
    committed ??= readRenderFacts();
    return committed;
}

const parse = (groupKind: string): GroupKind => {
    const slash = groupKind.indexOf("/");
    return { group: groupKind.slice(0, slash), kind: groupKind.slice(slash + 1) };
};

const byGroupKind = (a: GroupKind, b: GroupKind) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind);

/**
 * The union over every target's render of the kinds the app's chart renders: an app appears
 * in several targets with different values (dev, prod, dev-all-apps), and its project must
 * admit what any of them deploys.
 */
export function appKinds(app: string, facts: RenderFacts = committedRenderFacts()): AppKinds {
    const seen = facts.get(app);
    if (seen === undefined || seen.length === 0) {
        throw new Error(
            `app ${app} has no render facts in generated/render/*.json, so its AppProject would whitelist nothing: ` +
                "run `npm run render -- --stack <a stack or target that enables it>` (dev-all-apps for an optional app) and commit the result",
        );
    }
    const union = (pick: (f: FactApp) => readonly string[]) => [...new Set(seen.flatMap(pick))].map(parse).sort(byGroupKind);
    return { namespaced: union((f) => f.namespacedKinds), cluster: union((f) => f.clusterKinds) };
}
