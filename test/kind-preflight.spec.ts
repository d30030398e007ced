// The kind preflight against stand-in `docker` and `kind` executables (shell scripts on
// PATH, driven by environment variables) and real sockets, plus the KindPreflight dynamic
// provider serialized under mocks and run in a fresh node process, as Pulumi's
// dynamic-provider host would run it.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { captureDynamicResource } from "./support/dynamic-capture";
import {
    type KindPreflightInput,
    type PreflightFinding,
    kindOverhead,
    parseDockerInfo,
    parseKindVersion,
    parsePublishedPorts,
    portFinding,
    preflightFailure,
    resourceFindings,
    runKindPreflight,
} from "../components/cluster/kind-preflight";
import { KindPreflight, warnKindPreflight } from "../components/cluster/kind-preflight-resource";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const dockerStandIn = `#!/bin/sh
[ -n "$FAKE_LOG" ] && echo "docker $*" >> "$FAKE_LOG"
case "$1" in
  info)
    [ -n "$FAKE_DOCKER_INFO_STDERR" ] && printf '%s\\n' "$FAKE_DOCKER_INFO_STDERR" >&2
    printf '%s' "$FAKE_DOCKER_INFO"
    exit "\${FAKE_DOCKER_INFO_EXIT:-0}" ;;
  ps)
    printf '%s' "$FAKE_DOCKER_PS"
    exit 0 ;;
esac
echo "stand-in docker: unexpected arguments: $*" >&2
exit 2
`;

const kindStandIn = `#!/bin/sh
[ "$1" = version ] || { echo "stand-in kind: unexpected arguments: $*" >&2; exit 2; }
printf '%s\\n' "$FAKE_KIND_VERSION"
`;

const dockerInfo = (memTotal: number, ncpu: number, securityOptions = ["name=seccomp,profile=builtin", "name=cgroupns"]) =>
    JSON.stringify({ ServerVersion: "28.2.2", OperatingSystem: "Docker Desktop", MemTotal: memTotal, NCPU: ncpu, SecurityOptions: securityOptions, ClientInfo: { Version: "28.2.2" } });

/** What the real CLI (28.2) prints with the daemon down: client-side JSON on stdout, the error on stderr, exit 1. */
const daemonDown = {
    FAKE_DOCKER_INFO: JSON.stringify({ ID: "", MemTotal: 0, NCPU: 0, ServerVersion: "", ClientInfo: { Version: "28.2.2" } }),
    FAKE_DOCKER_INFO_STDERR: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    FAKE_DOCKER_INFO_EXIT: "1",
};

const goodKind = "kind v0.33.0 go1.25.1 linux/amd64";

const devRequests = { cpuMillicores: 7255, memoryBytes: 16448 * MiB };

function input(ports: { http: number; https: number }, overrides: Partial<KindPreflightInput> = {}): KindPreflightInput {
    return { clusterName: "fawkes-dev", hostPorts: { ...ports, listenAddress: "127.0.0.1" }, requests: devRequests, nodes: 5, kindVersion: "v0.33.0", ...overrides };
}

/** A real listening socket on a random high port of 127.0.0.1, standing in for whoever holds it. */
async function holdPort(): Promise<net.Server> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
    return server;
}
const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

/** A port that was free a moment ago (bound and released). */
async function freePort(): Promise<number> {
    const server = await holdPort();
    const port = portOf(server);
    await new Promise((resolve) => server.close(resolve));
    return port;
}

const byCheck = (findings: readonly PreflightFinding[], check: PreflightFinding["check"]) => findings.filter((f) => f.check === check);
const one = (findings: readonly PreflightFinding[], check: PreflightFinding["check"]) => {
    const found = byCheck(findings, check);
    assert.equal(found.length, 1, `one ${check} finding in ${JSON.stringify(findings, null, 2)}`);
    return found[0];
};

describe("kind preflight", function () {
    let dir: string;
    let bin: string;
    let noKindBin: string;
    let emptyBin: string;
    const savedEnv = { ...process.env };

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kind-preflight-"));
        bin = path.join(dir, "bin");
        noKindBin = path.join(dir, "bin-no-kind");
        emptyBin = path.join(dir, "bin-empty");
        for (const d of [bin, noKindBin, emptyBin]) {
            fs.mkdirSync(d);
        }
        fs.writeFileSync(path.join(bin, "docker"), dockerStandIn, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "kind"), kindStandIn, { mode: 0o755 });
        fs.writeFileSync(path.join(noKindBin, "docker"), dockerStandIn, { mode: 0o755 });
        // The permission test runs a process as nobody, which must reach the stand-ins.
        fs.chmodSync(dir, 0o755);
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Only the stand-ins are on PATH: a real docker or kind on this machine must not answer. */
    function useEnv(pathDir: string, vars: Record<string, string>): void {
        for (const key of Object.keys(process.env)) {
            if (key.startsWith("FAKE_")) {
                delete process.env[key];
            }
        }
        Object.assign(process.env, { PATH: pathDir, ...vars });
    }

    afterEach(() => {
        for (const key of Object.keys(process.env)) {
            if (!(key in savedEnv)) {
                delete process.env[key];
            }
        }
        Object.assign(process.env, savedEnv);
    });

    it("passes on a machine with enough memory and CPUs, free ports and the pinned kind", async () => {
        const log = path.join(dir, "enough.log");
        useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: goodKind, FAKE_LOG: log });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        assert.equal(preflightFailure("fawkes-dev", findings), undefined, JSON.stringify(findings, null, 2));
        assert.ok(findings.every((f) => f.ok), JSON.stringify(findings, null, 2));
        assert.match(one(findings, "memory").message, /^Docker has 32\.0 GiB and 12 CPUs; the platform needs at least 19\.6 GiB/);
        assert.equal(byCheck(findings, "ports").length, 2);
        // No port was taken, so nobody asked Docker who holds one.
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), ["docker info --format {{json .}}"]);
    });

    it("fails on too little memory, with Docker's numbers, the platform's and the fix", async () => {
        useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(8 * GiB, 8), FAKE_KIND_VERSION: goodKind });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        const memory = one(findings, "memory");
        assert.equal(memory.ok, false);
        assert.equal(memory.severity, "error");
        assert.equal(
            memory.message,
            "Docker has 8.0 GiB and 8 CPUs; the platform needs at least 19.6 GiB (requests 16.1 GiB + kind overhead 3.5 GiB for 5 nodes) and 2 CPUs; " +
                "raise Docker Desktop's limits (Settings → Resources) or switch apps off with fawkes:apps (see `npm run budget`)",
        );
        // 7.3 CPUs of requests + 1.8 of kind's is more than 8: slower, not broken.
        const cpu = one(findings, "cpu");
        assert.equal(cpu.severity, "warning");
        assert.match(cpu.message, /Docker has 8 CPUs and the platform requests 9\.1 CPUs \(7\.3 for its apps \+ 1\.8 kind overhead\)/);
        const failure = preflightFailure("fawkes-dev", findings) ?? "";
        assert.match(failure, /^the kind cluster "fawkes-dev" cannot be created here:\n {2}- memory: Docker has 8\.0 GiB/);
        assert.doesNotMatch(failure, /cpu:/, "warnings do not fail the step");
    });

    it("counts kind's overhead per node: a control plane, then the workers", () => {
        assert.deepEqual(kindOverhead(5), { cpuMillicores: 1800, memoryBytes: 3.5 * GiB });
        assert.deepEqual(kindOverhead(1), { cpuMillicores: 1000, memoryBytes: 1.5 * GiB });
        // Exactly enough is enough.
        const exact = resourceFindings(input({ http: 1, https: 2 }), { memTotalBytes: devRequests.memoryBytes + 3.5 * GiB, ncpu: 16, rootless: false });
        assert.equal(one(exact, "memory").ok, true);
    });

    it("treats CPU as compressible: errors below 2 CPUs or when pods could not be scheduled, warns when over-committed", () => {
        const cpu = (ncpu: number, nodes = 5) => one(resourceFindings(input({ http: 1, https: 2 }, { nodes }), { memTotalBytes: 64 * GiB, ncpu, rootless: false }), "cpu");
        assert.deepEqual([cpu(1).ok, cpu(1).severity], [false, "error"]);
        assert.match(cpu(1).message, /^Docker has 1 CPU; a kind cluster needs at least 2/);
        // One node offers the scheduler 4 CPUs; 7.3 + 1.0 requested would stay Pending.
        assert.deepEqual([cpu(4, 1).ok, cpu(4, 1).severity], [false, "error"]);
        assert.match(cpu(4, 1).message, /1 kind node offer the scheduler 4\.0 CPUs in all, but the platform requests 8\.3 CPUs.*stay Pending/);
        // Five such nodes offer 20: it runs, over-committed.
        assert.deepEqual([cpu(4).ok, cpu(4).severity], [false, "warning"]);
        assert.deepEqual([cpu(10).ok], [true]);
    });

    it("reports the error Docker gives when its daemon is not running", async () => {
        useEnv(bin, { ...daemonDown, FAKE_KIND_VERSION: goodKind });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        const docker = one(findings, "docker");
        assert.equal(docker.ok, false);
        assert.equal(
            docker.message,
            'Docker is not reachable: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"; start Docker Desktop (or the Docker daemon) and try again',
        );
        assert.equal(byCheck(findings, "memory").length, 0, "no memory numbers without Docker");
        assert.equal(one(findings, "kind").ok, true, "the other checks still run");
    });

    it("says when docker is not installed, and when kind is not", async () => {
        useEnv(emptyBin, {});
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        assert.match(one(findings, "docker").message, /^docker is not on PATH: install Docker Desktop/);
        assert.match(one(findings, "kind").message, /^kind is not on PATH; install kind v0\.33\.0: https:\/\/kind\.sigs\.k8s\.io\/docs\/user\/quick-start\/#installation/);
    });

    it("fails on a kind missing from PATH while Docker is fine", async () => {
        useEnv(noKindBin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12) });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        const failure = preflightFailure("fawkes-dev", findings) ?? "";
        assert.deepEqual(
            findings.filter((f) => !f.ok).map((f) => f.check),
            ["kind"],
        );
        assert.match(failure, /- kind: kind is not on PATH/);
    });

    it("fails on another kind release, naming both and where to get the pinned one", async () => {
        useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: "kind v0.31.0 go1.24.6 darwin/arm64" });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        const kind = one(findings, "kind");
        assert.equal(kind.ok, false);
        assert.equal(kind.severity, "error");
        assert.match(kind.message, /^kind v0\.31\.0 is installed but this stack needs kind v0\.33\.0/);
        assert.match(kind.message, /https:\/\/github\.com\/kubernetes-sigs\/kind\/releases\/tag\/v0\.33\.0/);
        assert.equal(parseKindVersion(goodKind), "v0.33.0");
        assert.equal(parseKindVersion("kind v0.34.0-alpha.12+abc go1.25 linux/amd64"), "v0.34.0-alpha.12+abc");
    });

    it("fails on a port another process holds, naming the port and the fix", async () => {
        const squatter = await holdPort();
        try {
            const log = path.join(dir, "squatter.log");
            useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: goodKind, FAKE_DOCKER_PS: "", FAKE_LOG: log });
            const taken = portOf(squatter);
            const findings = await runKindPreflight(input({ http: taken, https: await freePort() }));
            const [http, https] = byCheck(findings, "ports");
            assert.equal(https.ok, true);
            assert.equal(http.ok, false);
            assert.equal(http.severity, "error");
            assert.match(http.message, new RegExp(`^host port ${taken} \\(http\\) on 127\\.0\\.0\\.1 is taken by another process`));
            assert.match(http.message, /fawkes:cluster\.hostPorts/);
            assert.match(fs.readFileSync(log, "utf8"), /^docker ps --format \{\{\.Names\}\}\t\{\{\.Ports\}\}$/m, "asked Docker who holds it");
        } finally {
            squatter.close();
        }
    });

    it("accepts ports held by this stack's own control-plane container, and names any other container", async () => {
        const [ours, theirs] = [await holdPort(), await holdPort()];
        try {
            const [oursPort, theirsPort] = [portOf(ours), portOf(theirs)];
            const ps = [
                `fawkes-dev-control-plane\t127.0.0.1:${oursPort}->80/tcp, 127.0.0.1:41235->6443/tcp`,
                `registry-docker-io\t0.0.0.0:${theirsPort}->5000/tcp, [::]:${theirsPort}->5000/tcp`,
            ].join("\n");
            useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: goodKind, FAKE_DOCKER_PS: ps });
            const findings = await runKindPreflight(input({ http: oursPort, https: theirsPort }));
            const [http, https] = byCheck(findings, "ports");
            assert.deepEqual([http.ok, http.message], [true, `host port ${oursPort} (http) on 127.0.0.1 is held by this stack's kind control plane (fawkes-dev-control-plane)`]);
            assert.equal(https.ok, false);
            assert.match(https.message, new RegExp(`^host port ${theirsPort} \\(https\\) on 127\\.0\\.0\\.1 is taken by the Docker container "registry-docker-io"; stop it`));
            // The same ports under another cluster's name are someone else's.
            const other = await runKindPreflight(input({ http: oursPort, https: await freePort() }, { clusterName: "fawkes-staging" }));
            assert.match(byCheck(other, "ports")[0].message, /taken by the Docker container "fawkes-dev-control-plane"/);
        } finally {
            ours.close();
            theirs.close();
        }
    });

    it("reads docker ps ports: addresses, IPv6, ranges, unpublished ports", () => {
        const ps = "a\t127.0.0.1:80->80/tcp, 6443/tcp\nb,alias\t0.0.0.0:8000-8002->8000-8002/tcp, [::]:8000-8002->8000-8002/tcp\nc\t0.0.0.0:53->53/udp\n";
        assert.deepEqual(parsePublishedPorts(ps), [
            { container: "a", hostIp: "127.0.0.1", firstPort: 80, lastPort: 80 },
            { container: "b", hostIp: "0.0.0.0", firstPort: 8000, lastPort: 8002 },
            { container: "b", hostIp: "::", firstPort: 8000, lastPort: 8002 },
        ]);
    });

    it("maps permission denied: an error suggesting high ports with rootless Docker, a warning with a root daemon", () => {
        const low = input({ http: 80, https: 443 });
        const rootless = portFinding(low, "http", "EACCES", { published: [], rootless: true });
        assert.deepEqual([rootless.ok, rootless.severity], [false, "error"]);
        assert.match(rootless.message, /^host port 80 \(http\) on 127\.0\.0\.1: permission denied, and rootless Docker cannot publish ports below 1024.*"http": 8080, "https": 8443/);
        const rootful = portFinding(low, "http", "EACCES", { published: [], rootless: false });
        assert.deepEqual([rootful.ok, rootful.severity], [false, "warning"]);
        // Our own cluster holding it is fine either way.
        const held = portFinding(low, "http", "EACCES", { published: parsePublishedPorts("fawkes-dev-control-plane\t127.0.0.1:80->80/tcp"), rootless: true });
        assert.equal(held.ok, true);
        // docker info says whether Docker is rootless.
        const info = parseDockerInfo({ status: 0, stdout: dockerInfo(GiB, 2, ["name=seccomp,profile=builtin", "name=rootless"]), stderr: "" });
        assert.equal(info.reachable && info.info.rootless, true);
        const notAddress = portFinding(input({ http: 8080, https: 8443 }, { hostPorts: { http: 8080, https: 8443, listenAddress: "10.9.9.9" } }), "http", "EADDRNOTAVAIL", {});
        assert.match(notAddress.message, /^10\.9\.9\.9 is not an address of this machine/);
    });

    it("masks credentials in the errors it repeats", async () => {
        useEnv(bin, {
            FAKE_DOCKER_INFO: "",
            FAKE_DOCKER_INFO_STDERR: 'error during connect: Get "https://ci-bot:s3cr3t-t0ken@docker.example:2376/v1.50/info": dial tcp: i/o timeout',
            FAKE_DOCKER_INFO_EXIT: "1",
            FAKE_KIND_VERSION: goodKind,
        });
        const findings = await runKindPreflight(input({ http: await freePort(), https: await freePort() }));
        const message = one(findings, "docker").message;
        assert.match(message, /https:\/\/\*\*\*@docker\.example:2376/);
        assert.doesNotMatch(message, /s3cr3t|ci-bot/);
    });

    it("warns at program time without throwing, in well under a second when Docker is absent", () => {
        useEnv(emptyBin, {});
        const started = Date.now();
        const warnings = warnKindPreflight(input({ http: 80, https: 443 }));
        const took = Date.now() - started;
        assert.ok(took < 1000, `took ${took} ms`);
        assert.ok(warnings.some((w) => /^kind preflight \(docker\): docker is not on PATH.*`pulumi up` will stop before creating the cluster$/.test(w)), warnings.join("\n"));
        assert.ok(warnings.some((w) => w.startsWith("kind preflight (kind): kind is not on PATH")), warnings.join("\n"));
    });

    it("has nothing to warn about on a good machine", async () => {
        useEnv(bin, { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: goodKind });
        assert.deepEqual(warnKindPreflight(input({ http: await freePort(), https: await freePort() })), []);
    });

    describe("KindPreflight dynamic resource", function () {
        let providerFile: string;
        const plantedSecret = "planted-secret-9f8e7d6c";

        before(async () => {
            // A secret in the program's environment and config must not reach the provider's text.
            process.env.FAWKES_TEST_SECRET = plantedSecret;
            pulumi.runtime.setAllConfig({ "fawkes:dockerHubToken": plantedSecret }, ["fawkes:dockerHubToken"]);
            const registered = await captureDynamicResource(() => {
                new KindPreflight("dev-kind-preflight", {
                    clusterName: "fawkes-dev",
                    hostPorts: { http: 80, https: 443, listenAddress: "127.0.0.1" },
                    requests: devRequests,
                    nodes: 5,
                    kindVersion: "v0.33.0",
                });
            });
            const serialized = registered.__provider;
            delete process.env.FAWKES_TEST_SECRET;
            providerFile = path.join(dir, "provider.js");
            fs.writeFileSync(providerFile, serialized as string, { mode: 0o644 });
        });

        it("serializes a self-contained provider with no secret in it", () => {
            const text = fs.readFileSync(providerFile, "utf8");
            assert.ok(!text.includes(plantedSecret));
            assert.doesNotMatch(text, /require\("@pulumi\//, "the provider does not load the Pulumi SDK");
            const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
            // node:net is required by the port probe, a script run in a child process.
            assert.deepEqual([...new Set(required)], ["node:child_process"]);
        });

        // Loads the provider text the way the dynamic-provider host does
        // (requireFromString(text).handler()) and runs the given calls in order.
        const loader = `
const [file, rfs, callsJson] = process.argv.slice(1);
const provider = require(rfs)(require("node:fs").readFileSync(file, "utf8")).handler();
(async () => {
  const results = [];
  for (const [method, args] of JSON.parse(callsJson)) {
    try { results.push({ ok: true, value: await provider[method](...args) }); }
    catch (e) { results.push({ ok: false, error: String(e && e.message) }); }
  }
  process.stdout.write(JSON.stringify(results));
})();
`;
        const requireFromString = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
        type CallResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

        function inFreshNode(env: Record<string, string>, calls: [string, unknown[]][], uid?: number): CallResult[] {
            const r = spawnSync(process.execPath, ["-e", loader, providerFile, requireFromString, JSON.stringify(calls)], {
                env: { PATH: bin, ...env },
                encoding: "utf8",
                timeout: 20_000,
                ...(uid === undefined ? {} : { uid, gid: uid }),
            });
            assert.equal(r.status, 0, r.stderr);
            return JSON.parse(r.stdout) as CallResult[];
        }

        const news = (http: number, https: number) => ({
            clusterName: "fawkes-dev",
            hostPorts: { http, https, listenAddress: "127.0.0.1" },
            requests: devRequests,
            nodes: 5,
            kindVersion: "v0.33.0",
        });

        it("create() throws with every error on a failing machine", async () => {
            const [created] = inFreshNode({ FAKE_DOCKER_INFO: dockerInfo(8 * GiB, 8), FAKE_KIND_VERSION: "kind v0.31.0 go1.24.6 linux/amd64" }, [
                ["create", [news(await freePort(), await freePort())]],
            ]);
            assert.ok(!created.ok, JSON.stringify(created));
            assert.match(created.error, /^the kind cluster "fawkes-dev" cannot be created here:\n/);
            assert.match(created.error, /- memory: Docker has 8\.0 GiB and 8 CPUs; the platform needs at least 19\.6 GiB/);
            assert.match(created.error, /- kind: kind v0\.31\.0 is installed but this stack needs kind v0\.33\.0/);
        });

        it("create() and update() succeed on a good machine, and diff() sees only input changes", async () => {
            const before = news(await freePort(), await freePort());
            const after = news(await freePort(), await freePort());
            const results = inFreshNode({ FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12), FAKE_KIND_VERSION: goodKind }, [
                ["create", [before]],
                ["diff", ["kind-preflight-fawkes-dev", { ...before, summary: "old", findings: [] }, before]],
                ["diff", ["kind-preflight-fawkes-dev", before, after]],
                ["update", ["kind-preflight-fawkes-dev", before, after]],
            ]);
            const [created, same, changed, updated] = results.map((r) => {
                assert.ok(r.ok, JSON.stringify(r));
                return r.value;
            });
            assert.equal(created.id, "kind-preflight-fawkes-dev");
            const outs = created.outs as Record<string, unknown>;
            assert.deepEqual(outs.hostPorts, before.hostPorts, "inputs are kept for the next diff");
            assert.deepEqual(outs.warnings, []);
            assert.match(String(outs.summary), /^ok: docker: Docker is reachable\nok: memory: Docker has 32\.0 GiB/);
            assert.equal(same.changes, false);
            assert.equal(changed.changes, true);
            assert.deepEqual(changed.replaces, []);
            assert.deepEqual((updated.outs as Record<string, unknown>).hostPorts, after.hostPorts);
        });

        it("create() fails on ports below 1024 for a non-root user with rootless Docker", function () {
            // Linux only: elsewhere, and where unprivileged users may bind low ports, nothing is denied.
            const sysctl = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
            const unprivilegedStart = fs.existsSync(sysctl) ? Number(fs.readFileSync(sysctl, "utf8").trim()) : 0;
            const uid = process.getuid?.();
            if (!(unprivilegedStart > 443) || uid === undefined) {
                this.skip();
            }
            const [created] = inFreshNode(
                { FAKE_DOCKER_INFO: dockerInfo(32 * GiB, 12, ["name=seccomp,profile=builtin", "name=rootless"]), FAKE_KIND_VERSION: goodKind, FAKE_DOCKER_PS: "" },
                [["create", [news(80, 443)]]],
                // As root every port binds: run the provider as nobody instead.
                uid === 0 ? 65534 : undefined,
            );
            assert.ok(!created.ok, JSON.stringify(created));
            assert.match(created.error, /- ports: host port 80 \(http\) on 127\.0\.0\.1: permission denied, and rootless Docker cannot publish ports below 1024/);
            assert.match(created.error, /- ports: host port 443 \(https\)/);
        });
    });
});
