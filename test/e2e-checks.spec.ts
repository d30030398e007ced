// The e2e test's checks (test/support/e2e-checks.ts), here where no cluster runs: the e2e
// stack's config and the workflow's lean set run through the real program under mocks, the
// readers of stack outputs and kubectl answers on recorded-shape fixtures, and the HTTPS
// probes and Argo CD API calls against a local HTTPS server with a CA made for the test.

import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { parse } from "yaml";
import { poolDemand } from "../components/budget";
import { stackCatalog } from "../components/catalog";
import { parseConfig } from "../components/config";
import { projectRoot, runProgram, stackFileConfig } from "../scripts/lib/harness";
import {
    appSwitches,
    applicationProblems,
    applicationStates,
    argoCdApplicationNames,
    argoCdLogin,
    credentialOf,
    durationText,
    e2eClusterName,
    e2eStackConfig,
    formatApplications,
    formatProbes,
    formatTimings,
    kindClusterListed,
    localCaCertificate,
    owningExternalSecret,
    parseAppsOverride,
    parseHostPortsOverride,
    probeProblems,
    probeUrls,
    scrub,
    secretKey,
    uiUrls,
} from "./support/e2e-checks";

/** A structured value of the e2e stack's config. */
const configObject = (config: Record<string, unknown>, key: string) => config[key] as Record<string, unknown>;

const workflowFile = path.join(projectRoot, ".github", "workflows", "e2e.yml");

/** The lean set the e2e workflow runs (its job's FAWKES_E2E_APPS). */
function workflowLeanSet(): string {
    const workflow = parse(fs.readFileSync(workflowFile, "utf8")) as { jobs: { e2e: { env: Record<string, string> } } };
    return workflow.jobs.e2e.env.FAWKES_E2E_APPS;
}

describe("e2e checks: the e2e stack's config", function () {
    this.timeout(30_000);

    it("is the dev stack's on the fawkes-e2e cluster, with the overrides merged and no pulumi: keys", () => {
        const config = e2eStackConfig(stackFileConfig("dev"), { apps: '{"jenkins": false}', hostPorts: '{"https": 8443}' });
        assert.deepEqual(configObject(config, "fawkes:cluster"), { provider: "kind", kubernetesVersion: "1.35", name: e2eClusterName, hostPorts: { https: 8443 } });
        assert.deepEqual(appSwitches(config), { jenkins: false });
        assert.equal(config["fawkes:domain"], "fawkes.localtest.me");
        assert.equal(configObject(config, "fawkes:tls").issuer, "local-ca");
        assert.deepEqual(
            Object.keys(config).filter((k) => k.startsWith("pulumi:")),
            [],
        );
        // Without overrides: the stack file's own switches (none for dev), and its hostPorts untouched.
        const plain = e2eStackConfig(stackFileConfig("dev"));
        assert.deepEqual(appSwitches(plain), {});
        assert.equal(configObject(plain, "fawkes:cluster").hostPorts, undefined);
        // Overrides merge over what the stack file says, they do not replace it.
        const merged = e2eStackConfig({ "fawkes:cluster": { provider: "kind", hostPorts: { http: 8080, https: 8443 } }, "fawkes:apps": { kargo: true } }, { apps: '{"jenkins": false}', hostPorts: '{"https": 9443}' });
        assert.deepEqual(configObject(merged, "fawkes:cluster").hostPorts, { http: 8080, https: 9443 });
        assert.deepEqual(appSwitches(merged), { kargo: true, jenkins: false });
    });

    it("rejects overrides that are not JSON objects of the right kind, naming the variable", () => {
        assert.throws(() => parseAppsOverride("{jenkins: false}"), /FAWKES_E2E_APPS is not JSON/);
        assert.throws(() => parseAppsOverride('["jenkins"]'), /FAWKES_E2E_APPS must be a JSON object, got an array/);
        assert.throws(() => parseAppsOverride('{"jenkins": "off", "harbor": false}'), /every value must be true or false \(jenkins is not\)/);
        assert.throws(() => parseHostPortsOverride("8443"), /FAWKES_E2E_HOST_PORTS must be a JSON object, got number/);
        assert.equal(parseAppsOverride("  "), undefined);
        assert.equal(parseHostPortsOverride(undefined), undefined);
    });

    it("with the workflow's lean set, runs under mocks, exports the e2e cluster and fits the 4 vCPU / 16 GB runner", async () => {
        const lean = workflowLeanSet();
        const config = e2eStackConfig(stackFileConfig("dev"), { apps: lean });
        // As the Pulumi CLI hands a stack file's config to the program: structured values as JSON.
        const run = await runProgram("e2e", config);
        assert.ifError(run.error);
        assert.equal(run.outputs.clusterName, e2eClusterName);
        // Only apps the set leaves on have a URL: none of the switched-off ones is deployed.
        const off = Object.entries(appSwitches(config))
            .filter(([, on]) => !on)
            .map(([name]) => name);
        assert.deepEqual(
            uiUrls(run.outputs).filter((u) => off.includes(u.app)),
            [],
        );
        assert.ok(uiUrls(run.outputs).some((u) => u.app === "argo-cd"));

        // Steady-state requests of everything the stack runs, from the catalog the program sizes
        // its pods with: well under the runner's 4 vCPU / 16 GB, which also carries the kind
        // nodes' own system pods, containerd, Docker and the Pulumi run itself.
        const raw = Object.fromEntries(
            Object.entries(config)
                .filter(([k]) => k.startsWith("fawkes:"))
                .map(([k, v]) => [k.slice("fawkes:".length), typeof v === "string" ? v : JSON.stringify(v)]),
        );
        const platform = parseConfig(raw, "e2e");
        const pools = platform.cluster.pools.map((p) => ({ name: p.name, count: p.count }));
        let cpu = 0;
        let memory = 0;
        for (const pool of poolDemand(stackCatalog(platform), pools).values()) {
            cpu += pool.requests.cpu;
            memory += pool.requests.memory;
        }
        assert.ok(cpu <= 3000, `the lean set requests ${cpu}m CPU`);
        assert.ok(memory <= 8 * 2 ** 30, `the lean set requests ${(memory / 2 ** 30).toFixed(1)} GiB`);
        // ...and really is lean: the default set asks for more than the runner's CPU.
        const full = stackCatalog({ ...platform, apps: {} });
        const fullCpu = [...poolDemand(full, pools).values()].reduce((n, p) => n + p.requests.cpu, 0);
        assert.ok(fullCpu > cpu + 1000, `default ${fullCpu}m vs lean ${cpu}m`);
    });
});

// A kubectl answer in the shape Argo CD's Applications have, validated against the CRD schema below.
const recordedApplications = {
    apiVersion: "v1",
    kind: "List",
    metadata: { resourceVersion: "" },
    items: [
        {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: "fawkes-platform", namespace: "argocd" },
            spec: { project: "fawkes-platform", destination: { server: "https://kubernetes.default.svc", namespace: "argocd" }, source: { repoURL: "https://git.fawkes.localtest.me/fawkes/platform.git", path: "platform/e2e", targetRevision: "main" } },
            status: {
                sync: { status: "Synced", revision: "4f2d9c1" },
                health: { status: "Healthy" },
                operationState: { phase: "Succeeded", message: "successfully synced (all tasks run)", operation: { sync: { revision: "4f2d9c1" } }, startedAt: "2026-07-20T02:31:04Z" },
            },
        },
        {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: "grafana", namespace: "argocd" },
            spec: { project: "observability", destination: { server: "https://kubernetes.default.svc", namespace: "grafana" }, source: { repoURL: "https://grafana-community.github.io/helm-charts", chart: "grafana", targetRevision: "12.11.1" } },
            status: {
                sync: { status: "OutOfSync", revision: "12.11.1" },
                health: { status: "Progressing", message: "Waiting for rollout to finish: 0 of 1 updated replicas are available..." },
                conditions: [{ type: "SyncError", message: "Failed sync attempt to 12.11.1: one or more objects failed to apply", lastTransitionTime: "2026-07-20T02:40:11Z" }],
                operationState: { phase: "Failed", message: "one or more objects failed to apply", operation: { sync: { revision: "12.11.1" } }, startedAt: "2026-07-20T02:39:58Z" },
            },
        },
        {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: "argo-rollouts", namespace: "argocd" },
            spec: { project: "delivery", destination: { server: "https://kubernetes.default.svc", namespace: "argo-rollouts" }, source: { repoURL: "https://argoproj.github.io/argo-helm", chart: "argo-rollouts", targetRevision: "2.41.0" } },
            status: { sync: { status: "Synced", revision: "2.41.0" }, health: { status: "Healthy" } },
        },
        {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: "backstage", namespace: "argocd" },
            spec: { project: "developer-experience", destination: { server: "https://kubernetes.default.svc", namespace: "backstage" }, source: { repoURL: "https://backstage.github.io/charts", chart: "backstage", targetRevision: "2.8.2" } },
            // Just created: the controller has not reported on it yet.
        },
    ],
};

describe("e2e checks: reading the cluster and the stack outputs", () => {
    it("the recorded Applications are valid Argo CD Applications", () => {
        for (const item of recordedApplications.items) {
            new Application(item).validate();
        }
    });

    it("reports each Application that is not Synced and Healthy, with Argo CD's reasons, and each missing one", () => {
        const states = applicationStates(recordedApplications);
        assert.deepEqual(
            states.map((s) => [s.name, s.sync, s.health]),
            [
                ["argo-rollouts", "Synced", "Healthy"],
                ["backstage", "Unknown", "Unknown"],
                ["fawkes-platform", "Synced", "Healthy"],
                ["grafana", "OutOfSync", "Progressing"],
            ],
        );
        assert.deepEqual(applicationProblems(states, ["fawkes-platform", "grafana", "vault-config"]), [
            "backstage: Unknown/Unknown",
            "grafana: OutOfSync/Progressing (SyncError: Failed sync attempt to 12.11.1: one or more objects failed to apply; health: Waiting for rollout to finish: 0 of 1 updated replicas are available...; Failed: one or more objects failed to apply)",
            "vault-config: no Application",
        ]);
        const healthy = states.filter((s) => s.sync === "Synced" && s.health === "Healthy");
        assert.deepEqual(applicationProblems(healthy, ["argo-rollouts", "fawkes-platform"]), []);
        assert.deepEqual(applicationProblems([]), ["no Applications in argocd"]);
        assert.throws(() => applicationStates({ kind: "Status", message: "forbidden" }), /not a kubectl list/);
    });

    it("reads a Secret's key, and the ExternalSecret that owns it", () => {
        const delivered = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "argocd-admin-credentials",
                namespace: "argocd",
                ownerReferences: [{ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: "argocd-admin", uid: "0c0e5a4e-2b9e-4a53-a9d4-3f1b4c0f6a10", controller: true, blockOwnerDeletion: true }],
            },
            type: "Opaque",
            data: { username: Buffer.from("admin").toString("base64"), password: Buffer.from("s3cr3t-Pässwörd").toString("base64") },
        };
        assert.equal(secretKey(delivered, "username"), "admin");
        assert.equal(secretKey(delivered, "password"), "s3cr3t-Pässwörd");
        assert.equal(secretKey(delivered, "token"), undefined);
        assert.equal(secretKey({ kind: "Secret", metadata: {} }, "password"), undefined);
        assert.equal(owningExternalSecret(delivered), "argocd-admin");
        // Written by hand (or by another controller): no ExternalSecret owner.
        assert.equal(owningExternalSecret({ ...delivered, metadata: { ...delivered.metadata, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "x" }] } }), undefined);
        assert.equal(owningExternalSecret({ metadata: {} }), undefined);
    });

    it("takes the UIs, the logins and the CA from the outputs, naming what is missing but no secret", () => {
        const outputs = {
            urls: { vault: "https://vault.fawkes.localtest.me:8443", "argo-cd": "https://argocd.fawkes.localtest.me:8443", git: "https://git.fawkes.localtest.me:8443" },
            credentials: { "argo-cd": { url: "https://argocd.fawkes.localtest.me:8443", username: "admin", password: "hunter2-long" }, grafana: { url: "https://grafana.x", username: "admin" } },
            tls: { localCaCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
        };
        assert.deepEqual(
            uiUrls(outputs).map((u) => u.app),
            ["argo-cd", "git", "vault"],
        );
        assert.throws(() => uiUrls({}), /exports no `urls`/);
        assert.throws(() => uiUrls({ urls: { grafana: "http://grafana.x" } }), /urls.grafana is not an https URL/);
        assert.equal(credentialOf(outputs, "argo-cd").password, "hunter2-long");
        assert.throws(() => credentialOf(outputs, "grafana"), /^Error: credentials.grafana lacks password$/);
        assert.throws(() => credentialOf(outputs, "harbor"), /no entry for harbor/);
        assert.match(localCaCertificate(outputs), /BEGIN CERTIFICATE/);
        assert.throws(() => localCaCertificate({ tls: {} }), /tls.localCaCertificate/);
    });

    it("finds the cluster in `kind get clusters` by its whole name only", () => {
        assert.equal(kindClusterListed("fawkes-dev\nfawkes-e2e\n", e2eClusterName), true);
        assert.equal(kindClusterListed("fawkes-e2e-old\nkind\n", e2eClusterName), false);
        assert.equal(kindClusterListed("No kind clusters found.\n", e2eClusterName), false);
    });

    it("scrubs every given secret, longest first, and ignores empty ones", () => {
        assert.equal(scrub("token abc.def and abc again", ["abc", "abc.def", "", undefined]), "token *** and *** again");
    });

    it("writes the timings, the probes and the Applications as Markdown tables", () => {
        const timings = formatTimings({ clusterMs: 61_400, upMs: 1_234_000, destroyMs: 95_000 }, "cold or unknown");
        assert.equal(
            timings,
            [
                "### e2e timings (cold or unknown image caches)",
                "",
                "| phase | since the start of `pulumi up` | |",
                "| --- | ---: | ---: |",
                "| kind cluster | 61 s | 1.0 min |",
                "| core (last Helm release) | not seen |  |",
                "| all apps Synced and Healthy (end of pulumi up) | 1234 s | 20.6 min |",
                "| pulumi destroy | 95 s | 1.6 min |",
                "",
            ].join("\n"),
        );
        assert.equal(durationText(754_000), "754 s (12.6 min)");
        const probes = formatProbes([
            { app: "argo-cd", url: "https://argocd.x", status: 200 },
            { app: "grafana", url: "https://grafana.x", status: 302, location: "/login" },
            { app: "vault", url: "https://vault.x", status: 503 },
            { app: "git", url: "https://git.x", error: "ECONNREFUSED a|b" },
        ]);
        assert.match(probes, /\| argo-cd \| https:\/\/argocd\.x \| ✔ HTTP 200 \|/);
        assert.match(probes, /\| grafana \| https:\/\/grafana\.x \| ✔ HTTP 302 → \/login \|/);
        assert.match(probes, /\| vault \| https:\/\/vault\.x \| ✖ HTTP 503 \|/);
        assert.match(probes, /\| git \| https:\/\/git\.x \| ✖ ECONNREFUSED a\\\|b \|/);
        assert.match(formatApplications(applicationStates(recordedApplications)), /\| grafana \| OutOfSync \| Progressing \|/);
    });
});

// A CA and a server certificate for localhost signed by it, and a second CA that signed nothing.
function makeCertificates(dir: string): { ca: string; otherCa: string; key: string; cert: string } {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for (const name of ["ca", "other-ca"]) {
        openssl("req", "-x509", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${name}`, "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
    }
    openssl("req", ...newKey, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    fs.writeFileSync(path.join(dir, "server.ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return { ca: read("ca.crt"), otherCa: read("other-ca.crt"), key: read("server.key"), cert: read("server.crt") };
}

/** A stand-in for the platform's ingress: a UI or two, a broken one, and Argo CD's session and applications API. */
function fakePlatform(login: { username: string; password: string }, token: string, seen: string[]) {
    return (req: http.IncomingMessage, res: http.ServerResponse) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            seen.push(`${req.method} ${req.url}`);
            const json = (status: number, value: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
            if (req.url === "/" || req.url === "/login") {
                res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
            } else if (req.url === "/redirect") {
                res.writeHead(302, { location: "/login" }).end();
            } else if (req.url === "/broken") {
                res.writeHead(503).end("no endpoints available");
            } else if (req.url === "/hang") {
                // Never answers.
            } else if (req.method === "POST" && req.url === "/api/v1/session") {
                const given = JSON.parse(body) as { username?: string; password?: string };
                // The real Argo CD answers 401 without the password; this one echoes it, so the client's scrubbing shows.
                if (given.username === login.username && given.password === login.password) {
                    json(200, { token });
                } else {
                    json(401, { error: `bad login ${given.password}`, code: 16 });
                }
            } else if (req.method === "GET" && req.url === "/api/v1/applications") {
                if (req.headers.authorization === `Bearer ${token}`) {
                    json(200, { metadata: {}, items: [{ metadata: { name: "grafana" } }, { metadata: { name: "fawkes-platform" } }] });
                } else {
                    json(401, { error: `invalid session: ${req.headers.authorization}`, code: 16 });
                }
            } else {
                res.writeHead(404).end();
            }
        });
    };
}

describe("e2e checks: HTTPS with the local CA, and Argo CD's API", function () {
    this.timeout(20_000);
    const login = { username: "admin", password: "correct-horse-battery" };
    const token = "eyJhbGciOiJIUzI1NiJ9.session.token";
    const seen: string[] = [];
    let dir: string;
    let certs: ReturnType<typeof makeCertificates>;
    let server: https.Server;
    let base: string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-e2e-checks-"));
        certs = makeCertificates(dir);
        server = https.createServer({ key: certs.key, cert: certs.cert }, fakePlatform(login, token, seen));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        base = `https://localhost:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("probes every URL once, follows no redirect, and counts 5xx, untrusted certificates, refusals and silence as problems", async () => {
        const closed = https.createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const closedPort = (closed.address() as AddressInfo).port;
        await new Promise((resolve) => closed.close(resolve));
        seen.length = 0;

        const results = await probeUrls(
            [
                { app: "argo-cd", url: `${base}/` },
                { app: "grafana", url: `${base}/redirect` },
                { app: "vault", url: `${base}/broken` },
                { app: "git", url: `https://localhost:${closedPort}/` },
                { app: "sleepy", url: `${base}/hang` },
            ],
            certs.ca,
            1_000,
        );
        assert.deepEqual(
            results.map((r) => [r.app, r.status, r.location]),
            [
                ["argo-cd", 200, undefined],
                ["grafana", 302, "/login"],
                ["vault", 503, undefined],
                ["git", undefined, undefined],
                ["sleepy", undefined, undefined],
            ],
        );
        assert.deepEqual(seen.filter((s) => s.includes("/login")), [], "the redirect was followed");
        const problems = probeProblems(results);
        assert.equal(problems.length, 3, problems.join("\n"));
        assert.match(problems[0], /^vault https:\/\/localhost:\d+\/broken: HTTP 503$/);
        assert.match(problems[1], /^git https:\/\/localhost:\d+\/: connect ECONNREFUSED/);
        assert.match(problems[2], /^sleepy .*no answer within 1000 ms/);

        // The same server, trusted through a CA that did not sign it: a problem, not an answer.
        const untrusted = await probeUrls([{ app: "argo-cd", url: `${base}/` }], certs.otherCa);
        assert.equal(untrusted[0].status, undefined);
        assert.match(untrusted[0].error ?? "", /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
    });

    it("logs in to Argo CD, lists its Applications with the token, and shows neither password nor token on failure", async () => {
        const got = await argoCdLogin(base, certs.ca, login);
        assert.equal(got, token);
        assert.deepEqual(await argoCdApplicationNames(base, certs.ca, got), ["fawkes-platform", "grafana"]);

        const wrong = { username: "admin", password: "wrong-password-123" };
        await assert.rejects(argoCdLogin(base, certs.ca, wrong), (e: Error) => {
            assert.match(e.message, /^Argo CD login answered HTTP 401: /);
            assert.ok(!e.message.includes(wrong.password), e.message);
            return true;
        });
        const stale = "stale.session.token-value";
        await assert.rejects(argoCdApplicationNames(base, certs.ca, stale), (e: Error) => {
            assert.match(e.message, /answered HTTP 401/);
            assert.ok(!e.message.includes(stale), e.message);
            return true;
        });
        // Against a CA that did not sign the server, the login fails before any password is sent.
        seen.length = 0;
        await assert.rejects(argoCdLogin(base, certs.otherCa, login), /api\/v1\/session: /);
        assert.deepEqual(seen, []);
    });
});
