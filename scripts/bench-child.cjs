// One timed start of a Pulumi program for `npm run bench`, in a fresh Node process, loaded
// the way the Pulumi CLI's Node.js language host loads a TypeScript project
// (@pulumi/pulumi cmd/run/run.js): ts-node registered with the project's tsconfig.json, its
// compilerOptions over the host's defaults, and type-checking unless
// PULUMI_NODEJS_TRANSPILE_ONLY says otherwise or the tsconfig says `noCheck`. The program
// then runs under the tests' mocks (scripts/lib/harness.ts), so no engine is needed.
//
// argv: <project root> <stack> [program]; prints one JSON line with the milliseconds.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const [root, stack, program] = process.argv.slice(2);
process.chdir(root);
const tsconfig = path.join(root, "tsconfig.json");
const ts = require(require.resolve("typescript", { paths: [root] }));
const compilerOptions = fs.existsSync(tsconfig) ? (ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8")).config.compilerOptions ?? {}) : {};
const fromEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
const transpileOnly = fromEnv ? fromEnv === "true" : compilerOptions.noCheck;
require(require.resolve("ts-node", { paths: [root] })).register({
    compiler: "typescript",
    transpileOnly,
    project: tsconfig,
    skipProject: !fs.existsSync(tsconfig),
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
});
const { runStackFile } = require(path.join(root, "scripts", "lib", "harness.ts"));
runStackFile(stack, undefined, program ? { program } : undefined).then(
    (run) => {
        if (run.error) {
            console.error(run.error.message);
            process.exit(1);
        }
        console.log(JSON.stringify({ ms: performance.now(), resources: run.resources.length, typeChecked: !transpileOnly }));
        process.exit(0);
    },
    (e) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    },
);
