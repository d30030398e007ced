// The kind backend's pull-through image caches: one per registry of the rendered image
// inventory, mirrors for every node, kept on destroy, off by config; and their scripts run
// against a stand-in `docker` and `kind`, the way they run on a laptop.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { cacheImage, cacheScript, hostsToml, mirrorScript, registryCache, registryCaches } from "../components/cluster/image-cache";
import { inventoryRegistries, stackImages } from "../components/image-inventory";
import { asConfigError, ofType, type RunResult, runStackFile, runStackFileOk } from "../scripts/lib/harness";

const commandType = "command:local:Command";
const caches = (run: RunResult) => ofType(run, commandType).filter((c) => c.name.includes("-image-caches-fawkes-cache-"));
const mirrors = (run: RunResult) => ofType(run, commandType).find((c) => c.name.endsWith("-image-caches-mirrors"));
const kindConfig = (run: RunResult) => parse((ofType(run, commandType).find((c) => c.name.endsWith("-kind"))!.inputs.environment as Record<string, string>).KIND_CONFIG) as { containerdConfigPatches?: string[] };

describe("image caches for kind stacks", function () {
    this.timeout(60_000);
    let dev: RunResult;

    before(async () => {
        dev = await runStackFileOk("dev");
    });

    it("runs one cache per registry of the rendered inventory, every registry of the dev stack's images included", () => {
        const registries = caches(dev).map((c) => /fawkes-cache-[a-z0-9-]+$/.exec(c.name)![0]);
        assert.deepEqual(registries, registryCaches(inventoryRegistries()).map((c) => c.container));
        const devRegistries = [...new Set(stackImages("dev")!.map((i) => i.registry))];
        assert.ok(devRegistries.length >= 6, devRegistries.join(", "));
        const script = String(mirrors(dev)!.inputs.create);
        for (const registry of devRegistries) {
            assert.ok(script.includes(`/etc/containerd/certs.d/${registry}/hosts.toml`), `no mirror for ${registry}`);
        }
    });

    it("pins the cache image by digest, and leaves the caches in place on destroy", () => {
        assert.match(cacheImage, /^registry:3\.0\.0@sha256:[0-9a-f]{64}$/);
        for (const cache of caches(dev)) {
            assert.ok(String(cache.inputs.create).includes(cacheImage));
            assert.equal(cache.inputs.delete, undefined, `${cache.name} has a delete step`);
        }
    });

    it("points containerd at certs.d when the cluster is created, and writes the mirrors after it", () => {
        assert.deepEqual(kindConfig(dev).containerdConfigPatches, ['[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n']);
        const mirror = mirrors(dev)!;
        const cluster = ofType(dev, commandType).find((c) => c.name.endsWith("-kind"))!;
        assert.ok(mirror.dependencies.includes(cluster.urn), "the mirrors wait for the cluster");
        for (const cache of caches(dev)) {
            assert.ok(mirror.dependencies.includes(cache.urn), `the mirrors wait for ${cache.name}`);
        }
        // A new registry changes the mirrors' triggers, never the cluster's config.
        assert.deepEqual(mirror.inputs.triggers, inventoryRegistries());
    });

    it("are off with fawkes:cluster.imageCache false, with a warning when Docker Hub's anonymous limit is in reach", async () => {
        const off = await runStackFileOk("dev", (c) => {
            (c["fawkes:cluster"] as Record<string, unknown>).imageCache = false;
            c["fawkes:apps"] = Object.fromEntries(["minio", "velero", "opensearch", "opensearch-dashboards", "kiali", "thanos", "pyroscope", "sealed-secrets", "falco", "keycloak", "kargo"].map((a) => [a, true]));
        });
        assert.deepEqual(caches(off), []);
        assert.equal(mirrors(off), undefined);
        assert.equal(kindConfig(off).containerdConfigPatches, undefined);
        assert.ok(
            off.warnings.some((w) => /imageCache is false: the 4 kind nodes will pull about \d+ images from Docker Hub, over its anonymous limit of 100/.test(w)),
            off.warnings.join("\n"),
        );
    });

    it("gives the docker.io cache the Docker Hub credentials, as a secret, and refuses them where nothing uses them", async () => {
        const credentials = JSON.stringify({ username: "fawkes", token: "dckr_pat_example" });
        const run = await runStackFileOk("dev", (c) => (c["fawkes:dockerHubCredentials"] = credentials));
        const dockerIo = caches(run).find((c) => c.name.endsWith("fawkes-cache-docker-io"))!;
        assert.deepEqual(dockerIo.inputs.environment, { REGISTRY_PROXY_USERNAME: "fawkes", REGISTRY_PROXY_PASSWORD: "dckr_pat_example" });
        assert.ok(dockerIo.secretInputs.some((p) => p === "environment" || p.startsWith("environment")), dockerIo.secretInputs.join(","));
        assert.ok(caches(run).filter((c) => c !== dockerIo).every((c) => c.inputs.environment === undefined));
        const prod = await runStackFile("prod", (c) => (c["fawkes:dockerHubCredentials"] = credentials));
        assert.match(asConfigError(prod.error)!.message, /fawkes:dockerHubCredentials.*only a kind stack's docker\.io image cache/);
    });
});

describe("image cache scripts, against a stand-in docker and kind", () => {
    let bin: string;
    let log: string;

    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-docker-"));
        log = path.join(bin, "calls.log");
        // docker: logs every call; `inspect` says running when $RUNNING is set; `exec -i` stores stdin per node and path.
        fs.writeFileSync(
            path.join(bin, "docker"),
            `#!/bin/sh
echo "docker $*" >> "${log}"
case "$1" in
  inspect) [ -n "\${RUNNING:-}" ] && echo true || exit 1 ;;
  network) [ "$2" = inspect ] && exit 1 ;;
  exec) if [ "$2" = "-i" ]; then node=$3; file=$(echo "$6" | sed 's/.*cat > //'); mkdir -p "${bin}/nodes/$node$(dirname "$file")"; cat > "${bin}/nodes/$node$file"; fi ;;
esac
exit 0
`,
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(bin, "kind"), `#!/bin/sh\necho "kind $*" >> "${log}"\necho fawkes-dev-control-plane\necho fawkes-dev-worker\n`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

    const run = (script: string, env: Record<string, string> = {}) => {
        const result = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, ...env } });
        return { ...result, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
    };

    it("creates a cache on 127.0.0.1 on the kind network, with its own volume, when none runs", () => {
        const cache = registryCache("quay.io");
        const result = run(cacheScript(cache));
        assert.equal(result.status, 0, result.stderr);
        const dockerRun = result.calls.find((c) => c.startsWith("docker run"))!;
        assert.equal(
            dockerRun,
            `docker run --detach --restart unless-stopped --name fawkes-cache-quay-io --network kind --publish 127.0.0.1:5103:5000 --volume fawkes-cache-quay-io:/var/lib/registry --env REGISTRY_PROXY_REMOTEURL=https://quay.io ${cacheImage}`,
        );
        assert.ok(result.calls.includes("docker network create kind"), "the kind network is created when missing");
    });

    it("reuses a running cache, keeping what it downloaded", () => {
        const result = run(cacheScript(registryCache("docker.io")), { RUNNING: "1" });
        assert.equal(result.status, 0);
        assert.ok(!result.calls.some((c) => c.startsWith("docker run") || c.startsWith("docker rm")), result.calls.join("\n"));
        assert.match(result.stderr, /reusing fawkes-cache-docker-io/);
    });

    it("passes Docker Hub credentials by name only, never on the command line", () => {
        const result = run(cacheScript(registryCache("docker.io")), { REGISTRY_PROXY_USERNAME: "fawkes", REGISTRY_PROXY_PASSWORD: "dckr_pat_example" });
        const dockerRun = result.calls.find((c) => c.startsWith("docker run"))!;
        assert.match(dockerRun, /--env REGISTRY_PROXY_REMOTEURL=https:\/\/registry-1\.docker\.io --env REGISTRY_PROXY_USERNAME --env REGISTRY_PROXY_PASSWORD registry:3/);
        assert.ok(!result.calls.join("\n").includes("dckr_pat_example"));
    });

    it("writes every registry's hosts.toml into every node of the cluster", () => {
        const set = registryCaches(["docker.io", "ghcr.io"]);
        const result = run(mirrorScript(set), { KIND_CLUSTER_NAME: "fawkes-dev" });
        assert.equal(result.status, 0, result.stderr);
        assert.ok(result.calls.includes("kind get nodes --name fawkes-dev"));
        for (const node of ["fawkes-dev-control-plane", "fawkes-dev-worker"]) {
            for (const cache of set) {
                const file = path.join(bin, "nodes", node, "etc/containerd/certs.d", cache.registry, "hosts.toml");
                assert.equal(fs.readFileSync(file, "utf8"), hostsToml(cache), file);
            }
        }
        assert.equal(hostsToml(set[0]), 'server = "https://registry-1.docker.io"\n\n[host."http://fawkes-cache-docker-io:5000"]\n  capabilities = ["pull", "resolve"]\n');
        assert.match(result.stderr, /mirrors for docker\.io, ghcr\.io on 2 node\(s\)/);
    });

    it("keeps each registry's port whatever other registries the stack adds", () => {
        assert.equal(registryCache("example.registry.io").hostPort, registryCache("example.registry.io").hostPort);
        const ports = registryCaches(inventoryRegistries()).map((c) => c.hostPort);
        assert.equal(new Set(ports).size, ports.length, "two caches share a port");
    });
});
