// `npm run gitops [-- --check]`
//
// Writes platform/<stack>/ for every stack file that syncs from a remote repository
// (fawkes:gitops.repoURL): the Argo CD Applications, ExternalSecrets and setup Jobs the root
// app-of-apps syncs, generated from the catalog and the stack's config. The trees are
// committed so platform changes are reviewed as diffs, and a preview of such a stack fails
// while its tree is stale. Local stacks (no repoURL) get their tree seeded into the
// in-cluster Git server by `pulumi up` itself: nothing is committed for them.

import * as fs from "node:fs";
import * as path from "node:path";
import { staleTreeFiles, treeFiles } from "../components/gitops/tree-files";
import { projectRoot } from "./lib/harness";
import { stackConfig, stackNames } from "./lib/stacks";

/** The committed trees: stack → its files (path relative to the repository → YAML text). */
function committedTrees(): { stack: string; treePath: string; files: Map<string, string> }[] {
    return stackNames()
        .map((stack) => ({ stack, config: stackConfig(stack) }))
        .filter(({ config }) => config.gitops.source === "remote")
        .map(({ stack, config }) => ({ stack, treePath: config.gitops.path, files: treeFiles(config) }));
}

/** Every generated file: path relative to the repository → YAML text. */
export function generatedFiles(): Map<string, string> {
    return new Map(committedTrees().flatMap((t) => [...t.files]));
}

/** Files that differ from what is committed, committed files no longer generated, and trees of stacks that no longer commit one. */
export function staleFiles(): string[] {
    const trees = committedTrees();
    const stale = trees.flatMap((t) => staleTreeFiles(t.files, t.treePath, projectRoot));
    const platformDir = path.join(projectRoot, "platform");
    const existing = fs.existsSync(platformDir) ? fs.readdirSync(platformDir, { recursive: true }).map((f) => path.posix.join("platform", String(f).split(path.sep).join("/"))) : [];
    const generated = generatedFiles();
    const orphans = existing.filter((f) => f.endsWith(".yaml") && !generated.has(f) && !trees.some((t) => f.startsWith(`${t.treePath}/`)));
    return [...new Set([...stale, ...orphans])].sort();
}

function main(): void {
    if (process.argv.includes("--check")) {
        const stale = staleFiles();
        console.log(stale.length === 0 ? "platform/ is up to date" : `platform/ is stale (run \`npm run gitops\`):\n  ${stale.join("\n  ")}`);
        process.exitCode = stale.length === 0 ? 0 : 1;
        return;
    }
    fs.rmSync(path.join(projectRoot, "platform"), { recursive: true, force: true });
    const files = generatedFiles();
    for (const [file, text] of files) {
        fs.mkdirSync(path.dirname(path.join(projectRoot, file)), { recursive: true });
        fs.writeFileSync(path.join(projectRoot, file), text);
    }
    console.log(`wrote ${files.size} files under platform/ (${committedTrees().map((t) => t.treePath).join(", ")})`);
}

if (require.main === module) {
    main();
}
