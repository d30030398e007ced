import * as assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { type GitPushRequest, filesTreeHash, pushRequestProblems, pushTree, scrubSecrets } from "../components/gitops/git-push";
import { type GitSeedOutputs, gitSeedChanges } from "../components/gitops/git-seed";
import { projectRoot, runProgram } from "../scripts/lib/harness";
import { type GitServer, freePort, isolatedGitEnv, makeTestCertificates, startGitServer, type TestCertificates } from "./support/git-server";

const username = "fawkes-admin";
// ':', '/' and '+' so that a leak in URL-encoded or Basic form would show too.
const password = "s3cret:pa/ss+word";
const author = { name: "Fawkes Seeder", email: "seed@fawkes.example" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ClonedBranch {
    readonly files: Record<string, string>;
    readonly head: string;
    readonly parents: string[];
    readonly author: string;
    readonly committer: string;
    readonly message: string;
    readonly commits: number;
}

describe("GitSeed: pushing the generated GitOps tree to a Git server", function () {
    this.timeout(30_000);

    let work: string;
    let gitEnv: NodeJS.ProcessEnv;
    let server: GitServer;
    // The running server's push hook, set by the test that needs one.
    let beforePush: ((repoDir: string) => void) | undefined;
    let serverRoot: string;

    // Asynchronous: the server answering these runs in this very process.
    const git = async (args: string[], cwd = work) => (await promisify(execFile)("git", args, { cwd, env: gitEnv, encoding: "utf8" })).stdout.trim();
    /** For the server's own repositories only (no network): may block. */
    const gitOffline = (args: string[]) => execFileSync("git", args, { env: gitEnv, encoding: "utf8" }).trim();

    /** Clones `branch` anonymously through the server, as Argo CD would read it. */
    async function cloneBranch(url: string, branch = "main"): Promise<ClonedBranch> {
        const dir = fs.mkdtempSync(path.join(work, "clone-"));
        await git(["clone", "--quiet", "--branch", branch, url, dir]);
        const files: Record<string, string> = {};
        for (const file of (await git(["ls-files", "-z"], dir)).split("\0").filter((f) => f !== "")) {
            files[file] = fs.readFileSync(path.join(dir, file), "utf8");
        }
        const [head, parents, authorLine, committerLine] = (await git(["log", "-1", "--format=%H%n%P%n%an <%ae>%n%cn <%ce>"], dir)).split("\n");
        return {
            files,
            head,
            parents: parents === "" ? [] : parents.split(" "),
            author: authorLine,
            committer: committerLine,
            message: await git(["log", "-1", "--format=%B"], dir),
            commits: Number(await git(["rev-list", "--count", "HEAD"], dir)),
        };
    }

    const request = (url: string, files: Record<string, string>, extra: Partial<GitPushRequest> = {}): GitPushRequest => ({
        url,
        branch: "main",
        username,
        password,
        files,
        author,
        message: "Seed the platform tree\n",
        timeoutSeconds: 5,
        ...extra,
    });

    const assertNoCredential = (text: string) => {
        assert.ok(!text.includes(password), `the password leaked into: ${text}`);
        assert.ok(!text.includes(encodeURIComponent(password)), `the URL-encoded password leaked into: ${text}`);
        assert.ok(!text.includes(Buffer.from(`${username}:${password}`).toString("base64")), `the Basic credential leaked into: ${text}`);
    };

    before(async () => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "git-seed-spec-"));
        gitEnv = isolatedGitEnv(work);
        serverRoot = path.join(work, "server");
        fs.mkdirSync(serverRoot);
        server = await startGitServer({ root: serverRoot, username, password, beforePush: (dir) => beforePush?.(dir) });
    });

    after(async () => {
        await server?.close();
        fs.rmSync(work, { recursive: true, force: true });
    });

    describe("pushTree against git http-backend", () => {
        const tree1 = {
            "platform/dev/root.yaml": "kind: Application\nmetadata: {name: root}\n",
            "platform/dev/apps/backstage.yaml": "kind: Application\nmetadata: {name: backstage}\n",
            "platform/dev/apps/sonarqube.yaml": "kind: Application\nmetadata: {name: sonarqube}\n",
        };
        let firstCommit: string;
        const platformUrl = () => `${server.origin}/fawkes/platform.git`;

        it("1. creates the repository on the first push; the branch holds exactly the files, by the given author", async () => {
            assert.ok(!fs.existsSync(path.join(serverRoot, "fawkes/platform.git")), "the repository must not exist before the first push");
            const result = await pushTree(request(platformUrl(), tree1));
            assert.equal(result.pushed, true);
            assert.deepEqual(result.changedFiles, Object.keys(tree1).sort());
            // The server said "not found" before the push created the repository.
            assert.ok(server.requests.some((r) => r.service === "git-upload-pack" && r.status === 404));

            const branch = await cloneBranch(platformUrl());
            assert.deepEqual(branch.files, tree1);
            assert.equal(branch.head, result.commit);
            assert.deepEqual(branch.parents, [], "a root commit");
            assert.equal(branch.author, "Fawkes Seeder <seed@fawkes.example>");
            assert.equal(branch.committer, "Fawkes Seeder <seed@fawkes.example>");
            assert.equal(branch.message, "Seed the platform tree");
            assert.equal((await git(["ls-remote", platformUrl(), "refs/heads/main"])).split("\t")[0], result.commit);
            firstCommit = result.commit;
        });

        it("2. a second run with the same tree pushes nothing and returns the same head", async () => {
            const pushesBefore = server.requests.filter((r) => r.service === "git-receive-pack").length;
            const result = await pushTree(request(platformUrl(), { ...tree1 }));
            assert.deepEqual(result, { commit: firstCommit, pushed: false, changedFiles: [] });
            assert.equal(server.requests.filter((r) => r.service === "git-receive-pack").length, pushesBefore, "no push was even started");
            assert.equal((await cloneBranch(platformUrl())).commits, 1);
        });

        it("3. a changed tree (one file changed, one removed, one added) is exactly one commit on top of the previous head", async () => {
            const receivePacks = server.receivePacks();
            const tree2 = {
                "platform/dev/root.yaml": "kind: Application\nmetadata: {name: root, labels: {v: '2'}}\n",
                "platform/dev/apps/backstage.yaml": tree1["platform/dev/apps/backstage.yaml"],
                "platform/dev/apps/devlake.yaml": "kind: Application\nmetadata: {name: devlake}\n",
            };
            const result = await pushTree(request(platformUrl(), tree2, { message: "Platform tree: devlake instead of sonarqube" }));
            assert.equal(result.pushed, true);
            assert.deepEqual(result.changedFiles, ["platform/dev/apps/devlake.yaml", "platform/dev/apps/sonarqube.yaml", "platform/dev/root.yaml"]);
            assert.equal(server.receivePacks(), receivePacks + 1);

            const branch = await cloneBranch(platformUrl());
            assert.deepEqual(branch.files, tree2, "files not in the tree are removed");
            assert.equal(branch.head, result.commit);
            assert.deepEqual(branch.parents, [firstCommit]);
            assert.equal(branch.commits, 2);
        });

        it("4. a wrong password fails with a clear error that does not contain the credential", async () => {
            const url = platformUrl();
            const error = await pushTree(request(url, { "a.yaml": "a: 1\n" }, { password: `${password}-wrong` })).then(
                () => assert.fail("the push must fail"),
                (e: Error) => e,
            );
            assert.match(error.message, /Authentication to the Git server failed/);
            assert.ok(error.message.includes(url), error.message);
            assert.ok(!error.message.includes(`${password}-wrong`), error.message);
            assertNoCredential(error.message);
        });

        it("never puts the credential on a git command line", async () => {
            // A git on PATH that logs its arguments before running the real one.
            const realGit = (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "git")).find((file) => fs.existsSync(file));
            assert.ok(realGit, "git must be on PATH");
            const shimDir = path.join(work, "shim");
            const log = path.join(work, "argv.log");
            fs.mkdirSync(shimDir, { recursive: true });
            fs.writeFileSync(path.join(shimDir, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
            const savedPath = process.env.PATH;
            process.env.PATH = `${shimDir}${path.delimiter}${savedPath}`;
            try {
                const result = await pushTree(request(`${server.origin}/fawkes/argv.git`, { "a.yaml": "a: 1\n" }));
                assert.equal(result.pushed, true);
            } finally {
                process.env.PATH = savedPath;
            }
            const argv = fs.readFileSync(log, "utf8");
            assert.match(argv, /^push --porcelain -- http:\/\/127\.0\.0\.1:\d+\/fawkes\/argv\.git [0-9a-f]{40}:refs\/heads\/main$/m, argv);
            assertNoCredential(argv);
        });

        it("scrubs the password, its URL encoding and the Basic credential from git's messages", () => {
            const basic = Buffer.from(`${username}:${password}`).toString("base64");
            const text = `fatal: unable to access 'https://x:${encodeURIComponent(password)}@h/': ${password} Authorization: Basic ${basic}`;
            const scrubbed = scrubSecrets(text, [password, basic]);
            assertNoCredential(scrubbed);
            assert.equal(scrubbed, "fatal: unable to access 'https://x:***@h/': *** Authorization: Basic ***");
        });

        it("refuses to force: a branch that moved meanwhile fails the push with a clear message", async () => {
            const url = `${server.origin}/fawkes/raced.git`;
            const base = await pushTree(request(url, { "a.yaml": "a: 1\n" }));
            let otherCommit = "";
            // Someone else pushes between our read of the head and our push.
            beforePush = (repoDir) => {
                beforePush = undefined;
                otherCommit = execFileSync("git", [`--git-dir=${repoDir}`, "commit-tree", "main^{tree}", "-p", "main", "-m", "someone else"], {
                    env: { ...gitEnv, GIT_AUTHOR_NAME: "Other", GIT_AUTHOR_EMAIL: "o@x", GIT_COMMITTER_NAME: "Other", GIT_COMMITTER_EMAIL: "o@x" },
                    encoding: "utf8",
                }).trim();
                gitOffline([`--git-dir=${repoDir}`, "update-ref", "refs/heads/main", otherCommit]);
            };
            await assert.rejects(pushTree(request(url, { "a.yaml": "a: 2\n" })), /push to .*raced\.git \(branch main\) was refused: .*never force-pushes/);
            assert.notEqual(otherCommit, "");
            const branch = await cloneBranch(url);
            assert.equal(branch.head, otherCommit, "the other push is kept");
            assert.deepEqual(branch.parents, [base.commit]);
        });
    });

    describe("a server that is not answering yet", () => {
        it("5a. waits for a server that starts after the push began", async () => {
            const port = await freePort();
            const root = path.join(work, "late");
            fs.mkdirSync(root);
            const started = Date.now();
            const pending = pushTree(request(`http://127.0.0.1:${port}/fawkes/platform.git`, { "a.yaml": "a: 1\n" }, { timeoutSeconds: 20 }));
            await sleep(400);
            const late = await startGitServer({ root, username, password, port });
            try {
                const result = await pending;
                assert.equal(result.pushed, true);
                assert.ok(Date.now() - started >= 400);
                assert.equal(late.receivePacks(), 1);
            } finally {
                await late.close();
            }
        });

        it("5b. a server that never comes up fails after timeoutSeconds, naming the URL", async () => {
            const url = `http://127.0.0.1:${await freePort()}/fawkes/platform.git`;
            const started = Date.now();
            const error = await pushTree(request(url, { "a.yaml": "a: 1\n" }, { timeoutSeconds: 0.5 })).then(
                () => assert.fail("the push must fail"),
                (e: Error) => e,
            );
            const elapsed = Date.now() - started;
            assert.match(error.message, /did not answer within 0\.5 s/);
            assert.ok(error.message.includes(url), error.message);
            assert.match(error.message, /Failed to connect|Couldn't connect|Connection refused/);
            assert.ok(elapsed >= 250 && elapsed < 5_000, `gave up after ${elapsed} ms`);
        });
    });

    describe("https with the program's own CA", () => {
        let certificates: TestCertificates;
        let tlsServer: GitServer;
        let tlsRoot: string;

        before(async () => {
            certificates = makeTestCertificates(path.join(work, "pki"));
            tlsRoot = path.join(work, "tls");
            fs.mkdirSync(tlsRoot);
            tlsServer = await startGitServer({ root: tlsRoot, username, password, tls: certificates.server });
        });

        after(async () => {
            await tlsServer?.close();
        });

        it("6a. pushes over https trusting caCertificate", async () => {
            const url = `${tlsServer.origin}/fawkes/platform.git`;
            const result = await pushTree(request(url, { "a.yaml": "a: 1\n" }, { caCertificate: certificates.caPem }));
            assert.equal(result.pushed, true);
            assert.equal(tlsServer.receivePacks(), 1);
            const head = gitOffline(["--git-dir", path.join(tlsRoot, "fawkes/platform.git"), "rev-parse", "refs/heads/main"]);
            assert.equal(head, result.commit);
        });

        it("6b. without caCertificate the certificate is not trusted (verification is never turned off)", async () => {
            const url = `${tlsServer.origin}/fawkes/untrusted.git`;
            const error = await pushTree(request(url, { "a.yaml": "a: 1\n" }, { timeoutSeconds: 0.5 })).then(
                () => assert.fail("the push must fail"),
                (e: Error) => e,
            );
            assert.match(error.message, /certificate/i);
            assert.ok(error.message.includes(url), error.message);
            assert.ok(!fs.existsSync(path.join(tlsRoot, "fawkes/untrusted.git")), "nothing reached the server");
        });

        it("6c. retries while the server still serves a placeholder certificate (cert-manager has not issued it yet)", async () => {
            const root = path.join(work, "tls-late");
            fs.mkdirSync(root);
            const pending = await startGitServer({ root, username, password, tls: certificates.placeholder });
            try {
                const push = pushTree(request(`${pending.origin}/fawkes/platform.git`, { "a.yaml": "a: 1\n" }, { caCertificate: certificates.caPem, timeoutSeconds: 20 }));
                await sleep(400);
                pending.setCertificate(certificates.server);
                const result = await push;
                assert.equal(result.pushed, true);
                assert.equal(pending.receivePacks(), 1);
            } finally {
                await pending.close();
            }
        });
    });

    describe("the GitSeed resource", () => {
        it("7. its serialized provider, loaded in a fresh node process, creates and updates against the server; no password in it or in the outputs", async () => {
            const url = `${server.origin}/fawkes/serialized.git`;
            const files = { "platform/dev/root.yaml": "kind: Application\n" };
            const inputs = { url, branch: "main", username, password, files, author, message: "Seed\n", target: "kind-fawkes-1", timeoutSeconds: 5 };
            // The program, as index.ts would construct the resource, run by the repo's harness.
            const program = path.join(work, "seed-program.js");
            fs.writeFileSync(
                program,
                `const { GitSeed } = require(${JSON.stringify(path.join(projectRoot, "components/gitops/git-seed"))});\n` +
                    `const seed = new GitSeed("platform-seed", ${JSON.stringify(inputs)});\n` +
                    "module.exports = { commit: seed.commit };\n",
            );
            const run = await runProgram("dev", {}, { program });
            assert.equal(run.error, undefined, run.error?.message);
            const [resource] = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/gitops:GitSeed");
            assert.ok(resource, `no GitSeed among ${run.resources.map((r) => r.type).join(", ")}`);
            assert.ok(resource.secretInputs.includes("password"), "the password must be a secret input");
            assert.ok(!("commit" in resource.inputs) && !("treeHash" in resource.inputs), "outputs only");
            const providerText = resource.inputs.__provider;
            assert.equal(typeof providerText, "string");
            assertNoCredential(String(providerText));

            // As the dynamic-provider host does it (cmd/dynamic-provider: requireFromString(text).handler()),
            // in a process that has neither ts-node nor this program's modules loaded.
            const providerFile = path.join(work, "provider.js");
            fs.writeFileSync(providerFile, String(providerText));
            const host = `
                const fs = require("node:fs");
                const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
                let stdin = "";
                process.stdin.on("data", (d) => (stdin += d)).on("end", async () => {
                    const { providerFile, inputs, newFiles } = JSON.parse(stdin);
                    const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
                    const props = { ...inputs, __provider: "(serialized)" };
                    const checked = await provider.check({}, props);
                    const badCheck = await provider.check({}, { ...props, files: { "../escape.yaml": "x" } });
                    const created = await provider.create(checked.inputs);
                    const unchanged = await provider.diff(created.id, created.outs, props);
                    const news = { ...props, files: newFiles };
                    const changed = await provider.diff(created.id, created.outs, news);
                    const updated = await provider.update(created.id, created.outs, news);
                    await provider.delete(created.id, updated.outs);
                    process.stdout.write(JSON.stringify({ checkFailures: checked.failures, badCheck: badCheck.failures, created, unchanged, changed, updated }));
                });`;
            const newFiles = { ...files, "platform/dev/apps/backstage.yaml": "kind: Application\n" };
            const child = spawn(process.execPath, ["-e", host], { cwd: projectRoot, env: { PATH: process.env.PATH, HOME: work }, stdio: ["pipe", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.stdin.end(JSON.stringify({ providerFile, inputs, newFiles }));
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            assert.equal(code, 0, stderr);
            const out = JSON.parse(stdout) as {
                checkFailures: unknown[];
                badCheck: { property: string; reason: string }[];
                created: { id: string; outs: GitSeedOutputs };
                unchanged: { changes: boolean; replaces: string[] };
                changed: { changes: boolean; replaces: string[] };
                updated: { outs: GitSeedOutputs };
            };
            assert.deepEqual(out.checkFailures, []);
            assert.equal(out.badCheck[0]?.property, "files");
            assert.match(out.badCheck[0].reason, /"\.\.\/escape\.yaml"/);

            const branch = await cloneBranch(url);
            assert.equal(out.created.outs.commit, branch.parents[0], "create pushed the first commit");
            assert.equal(out.created.outs.changedFiles, 1);
            assert.equal(out.created.outs.treeHash, filesTreeHash(files));
            assert.equal(out.created.outs.url, url);
            assert.equal(out.created.outs.branch, "main");
            assert.deepEqual(out.unchanged, { changes: false, replaces: [], deleteBeforeReplace: false });
            assert.deepEqual(out.changed, { changes: true, replaces: [], deleteBeforeReplace: false });
            assert.equal(out.updated.outs.commit, branch.head, "update pushed the second commit");
            assert.equal(out.updated.outs.changedFiles, 1);
            assert.deepEqual(branch.files, newFiles, "delete left the repository alone");
            assert.ok(!("password" in out.created.outs) && !("password" in out.updated.outs));
            assertNoCredential(stdout);
            assertNoCredential(stderr);
        });

        it("diff reports url, branch, files, message, author, target and caCertificate changes, never a replacement", () => {
            const outs: Record<string, unknown> = {
                url: "https://git.fawkes.localtest.me/fawkes/platform.git",
                branch: "main",
                commit: "0".repeat(40),
                treeHash: filesTreeHash({ "a.yaml": "a" }),
                changedFiles: 1,
                message: "m",
                author,
                target: "kind-1",
                caCertificateHash: "",
            };
            const inputs: Record<string, unknown> = { url: outs.url, branch: "main", username, password, files: { "a.yaml": "a" }, author, message: "m", target: "kind-1" };
            assert.deepEqual(gitSeedChanges(outs, inputs), []);
            // Credentials and patience do not change what the branch holds.
            assert.deepEqual(gitSeedChanges(outs, { ...inputs, password: "rotated", username: "other", timeoutSeconds: 9 }), []);
            const cases: [string, Record<string, unknown>][] = [
                ["url", { url: "https://git.other.localtest.me/fawkes/platform.git" }],
                ["branch", { branch: "next" }],
                ["files", { files: { "a.yaml": "b" } }],
                ["files", { files: { "a.yaml": "a", "b.yaml": "b" } }],
                ["message", { message: "m2" }],
                ["author", { author: { ...author, email: "other@fawkes.example" } }],
                ["target", { target: "kind-2" }],
                ["caCertificate", { caCertificate: "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n" }],
            ];
            for (const [property, change] of cases) {
                assert.deepEqual(gitSeedChanges(outs, { ...inputs, ...change }), [property], JSON.stringify(change));
            }
        });
    });

    describe("input validation", () => {
        const url = () => `${server.origin}/fawkes/validation.git`;

        it("8. rejects bad paths with an error naming the path, before any git command", async () => {
            const requestsBefore = server.requests.length;
            const bad: [string, RegExp][] = [
                ["../outside.yaml", /must not contain a \.\. segment/],
                ["/etc/passwd", /must be relative/],
                ["apps/.git/config", /must not contain a \.git segment/],
                [".GIT/hooks/pre-receive", /must not contain a \.git segment/],
                ["apps//a.yaml", /empty segment/],
                ["apps/", /empty segment/],
                ["apps\\a.yaml", /backslash/],
                ["apps/./a.yaml", /must not contain a \. segment/],
                ["apps/a\n.yaml", /control character/],
                ["", /is empty/],
            ];
            for (const [badPath, reason] of bad) {
                const error = await pushTree(request(url(), { "ok.yaml": "ok", [badPath]: "x" })).then(
                    () => assert.fail(`${JSON.stringify(badPath)} must be rejected`),
                    (e: Error) => e,
                );
                assert.ok(error.message.includes(JSON.stringify(badPath)), error.message);
                assert.match(error.message, reason);
            }
            await assert.rejects(pushTree(request(url(), { apps: "x", "apps/a.yaml": "y" })), /path "apps" is a file, but "apps\/a\.yaml" needs it to be a directory/);
            assert.equal(server.requests.length, requestsBefore, "nothing reached the server");
        });

        it("rejects other bad inputs without quoting the credentials; skips values unknown in a preview", () => {
            const problems = pushRequestProblems({
                url: `https://${username}:${encodeURIComponent(password)}@git.fawkes.localtest.me/fawkes/platform.git`,
                branch: "main..x",
                username,
                password: "",
                files: {},
                author: { name: "", email: "nobody" },
                message: " ",
                caCertificate: "not a pem",
                timeoutSeconds: 0,
            });
            assert.deepEqual(
                problems.map((p) => p.property),
                ["url", "branch", "password", "files", "author", "author", "message", "caCertificate", "timeoutSeconds"],
            );
            assertNoCredential(JSON.stringify(problems));
            assert.match(problems[0].reason, /must not carry credentials/);
            assert.match(pushRequestProblems({ ...request("http://h/x", { a: "a" }) })[0]?.reason ?? "", /must end in \.git/);
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            assert.deepEqual(pushRequestProblems({ url: unknown, branch: "main", username, password: unknown, files: { "a.yaml": unknown }, author: unknown, message: unknown }), []);
        });

        it("says that git is needed on the machine running `pulumi up` when it is not on PATH", async () => {
            const savedPath = process.env.PATH;
            process.env.PATH = path.join(work, "no-such-dir");
            try {
                await assert.rejects(pushTree(request(url(), { "a.yaml": "a" })), /needs the git command-line client .* on the machine running `pulumi up`/);
            } finally {
                process.env.PATH = savedPath;
            }
        });
    });
});
