// The shipped example values (example.com domain and ACME e-mail, documentation ranges on the
// API server, this project's own repository): the program warns, the policy pack reports them, advisory in the preview
// workflow's pack config and mandatory in the deploy workflow's.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { placeholderProblems } from "../policy/lib/placeholders";
import { noPlaceholderValues } from "../policy/policies/placeholders";
import { projectRoot, runStackFileOk } from "../scripts/lib/harness";
import { analyzedResources, checkStack } from "../scripts/lib/policy-input";
import { type Diagnostic, mandatory, PolicyPackProcess } from "./support/analyzer";

const packConfig = (file: string) => JSON.parse(fs.readFileSync(path.join(projectRoot, "policy", file), "utf8")) as Record<string, Record<string, unknown>>;
const real = (c: Record<string, unknown>) => {
    c["fawkes:domain"] = "platform.acme.io";
    c["fawkes:tls"] = { issuer: "letsencrypt", email: "platform@acme.io" };
    c["fawkes:gitops"] = { ...(c["fawkes:gitops"] as object), repoURL: "https://github.com/acme/platform.git" };
    c["fawkes:cluster"] = { ...(c["fawkes:cluster"] as object), apiAccess: { mode: "public", cidrs: ["100.64.10.0/24"] } };
    if (c["fawkes:dns"] !== undefined) {
        c["fawkes:dns"] = { ...(c["fawkes:dns"] as object), zone: "acme.io" };
    }
};

describe("placeholder values", function () {
    this.timeout(60_000);

    it("names each placeholder with its config key, and nothing on real values", () => {
        assert.deepEqual(
            placeholderProblems({ domain: "fawkes.example.com", acmeEmail: "team@example.org", repoURL: "https://github.com/fawkes-platform/fawkes.git", apiCidrs: ["10.0.0.0/8", "203.0.113.7/32"] }).map((p) => p.split(" ")[0]),
            ["fawkes:domain", "fawkes:tls.email", "fawkes:gitops.repoURL", "fawkes:cluster.apiAccess.cidrs"],
        );
        // Documentation ranges only, at /24 or narrower: a wider private range that contains one is a real choice.
        assert.deepEqual(placeholderProblems({ apiCidrs: ["198.51.100.0/24", "192.0.2.0/25"] }).length, 1);
        assert.deepEqual(placeholderProblems({ apiCidrs: ["198.51.0.0/16", "100.64.0.0/10"] }), []);
        assert.deepEqual(placeholderProblems({ domain: "example.net" }).length, 1);
        assert.deepEqual(placeholderProblems({ domain: "notexample.com", acmeEmail: "a@example.company", repoURL: "https://github.com/acme/fawkes.git" }), []);
    });

    it("the program warns on the shipped prod stack and not on dev, whose local domain is real", async () => {
        const prod = await runStackFileOk("prod");
        assert.equal(prod.warnings.filter((w) => w.includes("no-placeholder-values")).length, 4, prod.warnings.join("\n"));
        const dev = await runStackFileOk("dev");
        assert.deepEqual(dev.warnings.filter((w) => w.includes("no-placeholder-values")), []);
    });

    it("the policy reports the shipped prod and prod-aks stacks, and passes real values", async () => {
        for (const stack of ["prod", "prod-aks"]) {
            const violations = checkStack(noPlaceholderValues, analyzedResources(await runStackFileOk(stack)));
            assert.equal(violations.length, 4, `${stack}: ${violations.join("\n")}`);
        }
        assert.deepEqual(checkStack(noPlaceholderValues, analyzedResources(await runStackFileOk("prod", real))), []);
    });

    it("is advisory in the preview pack config and mandatory in the deploy one, which is otherwise the same", () => {
        const preview = packConfig("policy-config.json");
        const deploy = packConfig("policy-config.deploy.json");
        assert.equal(preview["no-placeholder-values"].enforcementLevel, "advisory");
        assert.equal(deploy["no-placeholder-values"].enforcementLevel, "mandatory");
        assert.deepEqual({ ...deploy, "no-placeholder-values": preview["no-placeholder-values"] }, preview);
        // And each workflow passes its own.
        const workflow = (name: string) => fs.readFileSync(path.join(projectRoot, ".github", "workflows", name), "utf8");
        const configs = (text: string) => [...text.matchAll(/policyPackConfigs:\s*(\S+)/g)].map((m) => m[1]);
        assert.deepEqual([...new Set(configs(workflow("preview.yml")))], ["policy/policy-config.json"]);
        assert.deepEqual([...new Set(configs(workflow("deploy.yml")))], ["policy/policy-config.deploy.json"]);
    });

    describe("through the analyzer protocol, with each workflow's pack config", () => {
        let pack: PolicyPackProcess;
        before(async () => {
            pack = await PolicyPackProcess.start();
        });
        after(() => pack?.stop());
        const placeholders = (ds: Diagnostic[]) => ds.filter((d) => d.policy === "no-placeholder-values");

        it("a preview of the shipped prod stack passes with advisory findings; a deploy is stopped", async () => {
            const records = analyzedResources(await runStackFileOk("prod"));
            await pack.configure(packConfig("policy-config.json"));
            const previewed = placeholders(await pack.analyzeStack(records));
            assert.equal(previewed.length, 4);
            assert.ok(previewed.every((d) => d.enforcementLevel !== mandatory));
            await pack.configure(packConfig("policy-config.deploy.json"));
            const deployed = placeholders(await pack.analyzeStack(records));
            assert.equal(deployed.length, 4);
            assert.ok(deployed.every((d) => d.enforcementLevel === mandatory));
            await pack.configure({});
        });
    });
});
