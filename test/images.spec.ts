// `npm run images` (scripts/images.ts, scripts/lib/prefetch.ts) against a stand-in `docker`:
// a shell script that logs its argv and answers version, inspect, pull, image inspect and
// rmi as configured by STANDIN_* environment variables. No Docker daemon is needed.

import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { registryCache } from "../components/cluster/image-cache";
import { type InventoryImage, stackImages } from "../components/image-inventory";
import { archOf, cacheReference, cachesFor, dockerCli, hostArch, incomplete, prefetch, repositoryPath, stoppedCaches, summary } from "../scripts/lib/prefetch";

const projectRoot = path.resolve(__dirname, "..");

const standin = `#!/bin/sh
printf '%s\\n' "$*" >> "$STANDIN_LOG"
case "$1" in
  version) echo "\${STANDIN_ARCH:-x86_64}" ;;
  inspect)
    case " \${STANDIN_MISSING:-} " in *" $4 "*) echo "Error: No such object: $4" >&2; exit 1 ;; esac
    case " \${STANDIN_STOPPED:-} " in *" $4 "*) echo false ;; *) echo true ;; esac ;;
  pull)
    if [ -n "\${STANDIN_NOARCH:-}" ] && [ "$4" = "$STANDIN_NOARCH" ]; then
      echo "no matching manifest for $3 in the manifest list entries" >&2; exit 1
    fi
    if [ -n "\${STANDIN_FAIL:-}" ] && [ "$4" = "$STANDIN_FAIL" ]; then
      echo "Error response from daemon: toomanyrequests: You have reached your pull rate limit." >&2; exit 1
    fi
    echo "Status: Downloaded newer image for $4" ;;
  image) echo 12345678 ;;
  rmi) echo "Untagged: $2" ;;
  *) echo "stand-in docker: unexpected $*" >&2; exit 64 ;;
esac
`;

const images: InventoryImage[] = [
    { image: "mysql:8.4.7", registry: "docker.io", apps: ["devlake"] },
    { image: "docker.io/grafana/loki:3.7.6", registry: "docker.io", apps: ["loki"] },
    { image: "quay.io/argoproj/argocd:v3.4.4", registry: "quay.io", apps: ["argo-cd"] },
    { image: `ghcr.io/x/y:1.2.3@sha256:${"a".repeat(64)}`, registry: "ghcr.io", apps: ["y"] },
    { image: "registry.k8s.io/a/b:v1", registry: "registry.k8s.io", apps: ["b"] },
];

const expectedRefs = [
    "127.0.0.1:5101/library/mysql:8.4.7",
    "127.0.0.1:5101/grafana/loki:3.7.6",
    "127.0.0.1:5103/argoproj/argocd:v3.4.4",
    `127.0.0.1:5102/x/y@sha256:${"a".repeat(64)}`,
    "127.0.0.1:5104/a/b:v1",
];

describe("images: prefetch into the registry caches", () => {
    let dir: string;
    let docker: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-images-"));
        docker = path.join(dir, "docker");
        fs.writeFileSync(docker, standin, { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs `fn` with STANDIN_* set (and a fresh log), restoring the environment after. */
    function withStandin<T>(env: Record<string, string>, fn: (log: () => string[]) => T): T {
        const log = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
        const all = { STANDIN_LOG: log, ...env };
        const before = Object.fromEntries(Object.keys(all).map((k) => [k, process.env[k]]));
        Object.assign(process.env, all);
        try {
            return fn(() => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []));
        } finally {
            for (const [k, v] of Object.entries(before)) {
                if (v === undefined) {
                    delete process.env[k];
                } else {
                    process.env[k] = v;
                }
            }
        }
    }

    it("computes the path inside each registry and pulls through that registry's cache port", () => {
        assert.deepEqual(
            images.map((i) => cacheReference(i.image, registryCache(i.registry))),
            expectedRefs,
        );
        assert.deepEqual(repositoryPath("docker.io/traefik:v3.7.11", "docker.io"), { path: "library/traefik", reference: ":v3.7.11" });
        assert.deepEqual(repositoryPath(`curlimages/curl:8.18.0@sha256:${"b".repeat(64)}`, "docker.io"), { path: "curlimages/curl", reference: `@sha256:${"b".repeat(64)}` });
        assert.deepEqual(repositoryPath("ecr-public.aws.com/docker/library/redis:8.2.3-alpine", "ecr-public.aws.com"), { path: "docker/library/redis", reference: ":8.2.3-alpine" });
        assert.deepEqual(repositoryPath("localhost:5000/team/app:1.0", "localhost:5000"), { path: "team/app", reference: ":1.0" });
        assert.deepEqual(repositoryPath("busybox", "docker.io"), { path: "library/busybox", reference: ":latest" });
    });

    it("maps every committed inventory image to a cache reference without its registry host", () => {
        for (const stack of ["dev", "dev-all-apps", "prod", "prod-aks"]) {
            for (const i of stackImages(stack) ?? []) {
                const cache = registryCache(i.registry);
                const ref = cacheReference(i.image, cache);
                assert.match(ref, /^127\.0\.0\.1:\d+\/[a-z0-9][a-z0-9._/-]*[a-z0-9](:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/, `${stack}: ${i.image} -> ${ref}`);
                assert.ok(ref.startsWith(`127.0.0.1:${cache.hostPort}/`), ref);
                assert.ok(!ref.includes(`/${i.registry}/`), `${i.image} -> ${ref}`);
                if (i.registry === "docker.io") {
                    assert.ok(ref.slice(ref.indexOf("/") + 1).includes("/"), `${i.image} -> ${ref}: Docker Hub paths have a namespace`);
                }
            }
        }
    });

    it("maps the Docker host's architecture: x86_64 -> amd64, aarch64 -> arm64", () => {
        assert.equal(archOf("x86_64"), "amd64");
        assert.equal(archOf("aarch64\n"), "arm64");
        assert.equal(archOf("amd64"), "amd64");
        assert.equal(archOf("arm64"), "arm64");
        assert.equal(archOf("s390x"), undefined);
        withStandin({ STANDIN_ARCH: "x86_64" }, (log) => {
            assert.equal(hostArch(dockerCli(docker)), "amd64");
            assert.deepEqual(log(), ["version --format {{.Server.Arch}}"]);
        });
        withStandin({ STANDIN_ARCH: "aarch64" }, () => assert.equal(hostArch(dockerCli(docker)), "arm64"));
        withStandin({ STANDIN_ARCH: "riscv64" }, () => assert.throws(() => hostArch(dockerCli(docker)), /riscv64 is not amd64 or arm64; pass --arch/));
    });

    it("finds caches that are stopped or do not exist", () => {
        withStandin({ STANDIN_STOPPED: "fawkes-cache-quay-io", STANDIN_MISSING: "fawkes-cache-ghcr-io" }, (log) => {
            const stopped = stoppedCaches(dockerCli(docker), cachesFor(images));
            assert.deepEqual(
                stopped.map((c) => c.container),
                ["fawkes-cache-ghcr-io", "fawkes-cache-quay-io"],
            );
            assert.deepEqual(log(), ["docker.io", "ghcr.io", "quay.io", "registry.k8s.io"].map((r) => `inspect --format {{.State.Running}} ${registryCache(r).container}`));
        });
    });

    it("pulls each image for the platform, measures and untags it, and reports progress", () => {
        withStandin({}, (log) => {
            let out = "";
            const report = prefetch(dockerCli(docker), images, "amd64", (t) => (out += t));
            assert.equal(incomplete(report), false);
            assert.deepEqual(
                log(),
                expectedRefs.flatMap((ref) => [`pull --platform linux/amd64 ${ref}`, `image inspect --format {{.Size}} ${ref}`, `rmi ${ref}`]),
            );
            assert.deepEqual(
                out.trim().split("\n"),
                images.map((i, n) => `[${n + 1}/5] ${i.image} ... ok (12.3 MB)`),
            );
            assert.deepEqual(summary(report), ["pulled 5 of 5 images for linux/amd64, 61.7 MB in total (61728390 bytes)", "missing linux/amd64: none", "failed: none"]);
        });
    });

    it("reports an image without the architecture and a failed pull, and keeps no tag of either", () => {
        withStandin({ STANDIN_NOARCH: expectedRefs[2], STANDIN_FAIL: expectedRefs[3] }, (log) => {
            let out = "";
            const report = prefetch(dockerCli(docker), images, "arm64", (t) => (out += t));
            assert.equal(incomplete(report), true);
            const lines = out.trim().split("\n");
            assert.equal(lines[2], "[3/5] quay.io/argoproj/argocd:v3.4.4 ... missing linux/arm64");
            assert.equal(lines[3], `[4/5] ${images[3].image} ... failed: toomanyrequests: You have reached your pull rate limit.`);
            assert.equal(lines[4], "[5/5] registry.k8s.io/a/b:v1 ... ok (12.3 MB)");
            assert.ok(log().every((l) => !l.startsWith("pull") || l.startsWith("pull --platform linux/arm64 ")));
            assert.ok(!log().includes(`rmi ${expectedRefs[2]}`) && !log().includes(`rmi ${expectedRefs[3]}`));
            assert.deepEqual(summary(report), [
                "pulled 3 of 5 images for linux/arm64, 37.0 MB in total (37037034 bytes)",
                "missing linux/arm64: 1",
                "  quay.io/argoproj/argocd:v3.4.4",
                "failed: 1",
                `  ${images[3].image}: toomanyrequests: You have reached your pull rate limit.`,
            ]);
        });
    });

    describe("the CLI", () => {
        interface Run {
            readonly status: number | null;
            readonly stdout: string;
            readonly stderr: string;
            readonly log: string[];
        }
        const runs: Record<string, Run> = {};
        const devImages = stackImages("dev")!;
        const sorted = [...devImages].sort((a, b) => a.image.localeCompare(b.image));
        const noArch = sorted.find((i) => i.image === "quay.io/argoproj/argocd:v3.4.4")!;
        const failing = sorted.find((i) => i.image === "mysql:8.4.7")!;

        // The CLI runs concurrently in four scenarios (each start is ~1 s of ts-node).
        before(async function () {
            this.timeout(30_000);
            const cli = (name: string, args: string[], env: Record<string, string>) =>
                new Promise<void>((resolve) => {
                    const log = path.join(dir, `cli-${name}`);
                    execFile(
                        process.execPath,
                        [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "scripts/images.ts", ...args],
                        { cwd: projectRoot, encoding: "utf8", env: { ...process.env, FAWKES_DOCKER: docker, STANDIN_LOG: log, ...env } },
                        (error, stdout, stderr) => {
                            const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
                            runs[name] = { status, stdout, stderr, log: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
                            resolve();
                        },
                    );
                });
            await Promise.all([
                cli("good", ["--stack", "dev", "--prefetch"], { STANDIN_ARCH: "x86_64" }),
                cli("partial", ["--stack", "dev", "--prefetch"], {
                    STANDIN_ARCH: "aarch64",
                    STANDIN_NOARCH: cacheReference(noArch.image, registryCache(noArch.registry)),
                    STANDIN_FAIL: cacheReference(failing.image, registryCache(failing.registry)),
                }),
                cli("stopped", ["--stack", "dev-all-apps", "--prefetch", "--arch", "amd64"], { STANDIN_STOPPED: "fawkes-cache-docker-gitea-com" }),
                cli("unknown", ["--stack", "staging", "--prefetch"], {}),
            ]);
        });

        it("exits 0 when every image was pulled, for the Docker host's architecture", () => {
            const run = runs.good;
            assert.equal(run.status, 0, run.stderr);
            const pulls = run.log.filter((l) => l.startsWith("pull "));
            assert.equal(pulls.length, devImages.length);
            assert.ok(pulls.every((l) => l.startsWith("pull --platform linux/amd64 127.0.0.1:")));
            assert.ok(pulls.includes("pull --platform linux/amd64 127.0.0.1:5101/library/mysql:8.4.7"));
            assert.match(run.stdout, new RegExp(`^\\[1/${devImages.length}\\] ${sorted[0].image.replace(/[.]/g, "\\.")} \\.\\.\\. ok \\(12\\.3 MB\\)$`, "m"));
            assert.match(run.stdout, new RegExp(`^\\[${devImages.length}/${devImages.length}\\] .* \\.\\.\\. ok \\(12\\.3 MB\\)$`, "m"));
            assert.match(run.stdout, new RegExp(`^pulled ${devImages.length} of ${devImages.length} images for linux/amd64, `, "m"));
            assert.match(run.stdout, /^missing linux\/amd64: none$/m);
            assert.match(run.stdout, /^failed: none$/m);
            assert.match(run.stdout, /kind node image \(kindest\/node:v1\.35\.\d+@sha256:[0-9a-f]{64}\) is pulled by Docker itself/);
        });

        it("exits 1 naming the image without the architecture and the failed pull", () => {
            const run = runs.partial;
            assert.equal(run.status, 1, run.stderr);
            assert.ok(run.log.filter((l) => l.startsWith("pull ")).every((l) => l.startsWith("pull --platform linux/arm64 ")));
            assert.match(run.stdout, /^\[\d+\/\d+\] quay\.io\/argoproj\/argocd:v3\.4\.4 \.\.\. missing linux\/arm64$/m);
            assert.match(run.stdout, /^\[\d+\/\d+\] mysql:8\.4\.7 \.\.\. failed: toomanyrequests: /m);
            assert.match(run.stdout, /^missing linux\/arm64: 1\n {2}quay\.io\/argoproj\/argocd:v3\.4\.4$/m);
            assert.match(run.stdout, /^failed: 1\n {2}mysql:8\.4\.7: toomanyrequests: /m);
            assert.match(run.stdout, new RegExp(`^pulled ${devImages.length - 2} of ${devImages.length} images for linux/arm64`, "m"));
        });

        it("fails before pulling when a cache is not running, naming it and the stack to bring up", () => {
            const run = runs.stopped;
            assert.equal(run.status, 1);
            assert.match(run.stderr, /fawkes-cache-docker-gitea-com is not running: run `pulumi up -s dev` first/);
            assert.ok(!run.log.some((l) => l.startsWith("pull ") || l.startsWith("version")), run.log.join("\n"));
        });

        it("exits 2 on an unknown stack, listing the stacks with an inventory", () => {
            const run = runs.unknown;
            assert.equal(run.status, 2);
            assert.match(run.stderr, /no image inventory for stack staging; stacks with an inventory: dev, dev-all-apps, prod, prod-aks/);
            assert.deepEqual(run.log, []);
        });
    });
});
