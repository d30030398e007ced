// End to end on a real kind cluster through the Automation API: `pulumi up` of the dev
// stack, checks against the live cluster, then `pulumi destroy`. Needs Docker, kind, kubectl
// and the Pulumi CLI, takes minutes and creates a real cluster, so it runs only when
// FAWKES_E2E=1 is set; otherwise it is skipped (and reported as skipped, never as passed).

import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { projectRoot, stackFileConfig } from "../scripts/lib/harness";

function missingPrerequisite(): string | undefined {
    if (process.env.FAWKES_E2E !== "1") {
        return "FAWKES_E2E=1 is not set (the e2e test creates a real kind cluster)";
    }
    for (const [tool, args] of [["docker", ["info"]], ["kind", ["version"]], ["kubectl", ["version", "--client"]], ["pulumi", ["version"]]] as const) {
        if (spawnSync(tool, [...args], { stdio: "ignore" }).status !== 0) {
            return `${tool} is not available here`;
        }
    }
    return undefined;
}

describe("e2e: dev stack on a real kind cluster", function () {
    this.timeout(30 * 60_000);
    let stack: Stack;
    let kubeconfigFile: string;

    before(async function () {
        const reason = missingPrerequisite();
        if (reason) {
            console.log(`    e2e skipped: ${reason}`);
            this.skip();
        }
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: "e2e", workDir: projectRoot },
            { envVars: { PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "e2e" } },
        );
        const config = stackFileConfig("dev");
        config["fawkes:cluster"] = { ...(config["fawkes:cluster"] as object), name: "fawkes-e2e" };
        for (const [key, value] of Object.entries(config)) {
            if (!key.startsWith("pulumi:")) {
                await stack.setConfig(key, { value: typeof value === "string" ? value : JSON.stringify(value) });
            }
        }
        // Time to the cluster and to the whole core (the last Helm release), from the engine's events.
        const started = Date.now();
        const done: { cluster?: number; core?: number } = {};
        await stack.up({
            onOutput: (s) => process.stdout.write(s),
            onEvent: (event) => {
                const urn = event.resOutputsEvent?.metadata.urn ?? "";
                if (urn.includes("command:local:Command") && urn.endsWith("-kind")) {
                    done.cluster = Date.now() - started;
                } else if (urn.includes("kubernetes:helm.sh/v3:Release")) {
                    done.core = Date.now() - started;
                }
            },
        });
        const seconds = (ms?: number) => (ms === undefined ? "not seen" : `${(ms / 1000).toFixed(0)} s`);
        const timings = [
            `### e2e timings (${process.env.FAWKES_E2E_CACHES === "warm" ? "warm" : "cold or unknown"} image caches)`,
            "",
            `- kind cluster: ${seconds(done.cluster)}`,
            `- core (last Helm release): ${seconds(done.core)}`,
            `- pulumi up: ${seconds(Date.now() - started)} (all apps healthy: not waited on yet)`,
            "",
        ].join("\n");
        console.log(timings);
        if (process.env.GITHUB_STEP_SUMMARY) {
            fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, timings);
        }
        const outputs = await stack.outputs();
        kubeconfigFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-e2e-")), "kubeconfig");
        fs.writeFileSync(kubeconfigFile, String(outputs.kubeconfig.value), { mode: 0o600 });
        assert.equal(outputs.kubeconfig.secret, true);
    });

    after(async function () {
        if (stack) {
            await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
            await stack.workspace.removeStack("e2e");
        }
    });

    it("runs a control plane and one worker per pool, labelled with their pools", () => {
        const nodes = JSON.parse(execFileSync("kubectl", ["--kubeconfig", kubeconfigFile, "get", "nodes", "-o", "json"], { encoding: "utf8" })) as {
            items: { metadata: { labels: Record<string, string> } }[];
        };
        const pools = nodes.items.map((n) => n.metadata.labels["fawkes.dev/pool"]).sort();
        assert.deepEqual(pools, ["apps", "ci", "control-plane", "platform"]);
        const ingressReady = nodes.items.filter((n) => n.metadata.labels["ingress-ready"] === "true");
        assert.equal(ingressReady.length, 1);
    });
});
