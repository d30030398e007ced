// Pushes a generated tree (repo-relative path → text) to one branch of a Git repository over
// http(s), with the local `git` CLI: the seeding step behind the GitSeed dynamic resource,
// callable on its own from tests.
//
// Everything here also runs inside the GitSeed provider, which Pulumi serializes by value
// into a separate process. So this module has no top-level imports of values: Node
// built-ins come from process.getBuiltinModule inside the functions (a top-level
// `import * as fs` would be an interop wrapper object the closure serializer cannot
// capture), and it uses no classes, only plain functions and data.

export interface GitAuthor {
    readonly name: string;
    readonly email: string;
}

export interface GitPushRequest {
    /** https:// or http:// URL of the repository, ending in .git, without credentials. */
    readonly url: string;
    readonly branch: string;
    readonly username: string;
    readonly password: string;
    /** The whole content of the branch: repo-relative path → text. Other files are removed. */
    readonly files: Readonly<Record<string, string>>;
    /** Author and committer of the commit. */
    readonly author: GitAuthor;
    readonly message: string;
    /** PEM of the CA(s) to trust for an https URL (instead of the system's bundle). */
    readonly caCertificate?: string;
    /** How long to keep retrying while the server does not answer yet. */
    readonly timeoutSeconds?: number;
}

export interface GitPushResult {
    /** The branch's head after the run: the new commit, or the unchanged one. */
    readonly commit: string;
    readonly pushed: boolean;
    /** Added, changed and removed paths, sorted (all paths for a first commit). */
    readonly changedFiles: string[];
}

export interface InputProblem {
    readonly property: string;
    readonly reason: string;
}

export const defaultTimeoutSeconds = 300;

/** GIT_CONFIG_COUNT needs git 2.31; older clients would silently ignore the credentials. */
const minimumGitVersion = [2, 31] as const;

/** Pulumi's wire value for "not known yet" (preview): such inputs are not validated. */
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Why `path` cannot be a file of the tree, or undefined when it can. */
export function repoPathProblem(path: string): string | undefined {
    if (path === "") {
        return "is empty";
    }
    if (path.startsWith("/")) {
        return "must be relative (it starts with /)";
    }
    if (path.includes("\\")) {
        return "must use / as separator (it contains a backslash)";
    }
    // eslint-disable-next-line no-control-regex -- control characters are what is rejected
    if (/[\u0000-\u001f\u007f]/.test(path)) {
        return "contains a control character";
    }
    for (const segment of path.split("/")) {
        if (segment === "") {
            return "has an empty segment (// or a trailing /)";
        }
        if (segment === "." || segment === "..") {
            return `must not contain a ${segment} segment`;
        }
        // Git refuses .git in any case on case-insensitive checkouts; so do we, everywhere.
        if (segment.toLowerCase() === ".git") {
            return "must not contain a .git segment";
        }
    }
    return undefined;
}

function isUnknown(value: unknown): boolean {
    return value === unknownValue;
}

function urlProblem(url: unknown): string | undefined {
    if (typeof url !== "string" || url === "") {
        return "must be a non-empty string";
    }
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "is not a valid URL";
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
        return `must be an https:// or http:// URL (got ${parsed.protocol})`;
    }
    // Not echoed back: what would be echoed is a credential.
    if (parsed.username !== "" || parsed.password !== "") {
        return "must not carry credentials; pass username and password instead";
    }
    if (parsed.search !== "" || parsed.hash !== "") {
        return "must not have a query or a fragment";
    }
    if (!parsed.pathname.endsWith(".git")) {
        return `must end in .git (got ${url})`;
    }
    return undefined;
}

function branchProblem(branch: unknown): string | undefined {
    if (typeof branch !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch)) {
        return "must be a branch name such as main (letters, digits, . _ - /)";
    }
    if (branch.includes("..") || branch.includes("//") || branch.endsWith("/") || branch.endsWith(".") || branch.endsWith(".lock")) {
        return `is not a valid Git branch name: ${branch}`;
    }
    return undefined;
}

/** Problems with the tree: bad paths, non-text contents, a path that is also a directory. */
function filesProblems(files: unknown): string[] {
    if (files === null || typeof files !== "object" || Array.isArray(files)) {
        return ["must be a map of repo-relative path to text"];
    }
    const entries = Object.entries(files as Record<string, unknown>);
    if (entries.length === 0) {
        return ["must hold at least one file (an empty branch is never what the program means)"];
    }
    const problems: string[] = [];
    for (const [path, text] of entries) {
        const problem = repoPathProblem(path);
        if (problem) {
            problems.push(`path ${JSON.stringify(path)} ${problem}`);
        } else if (typeof text !== "string" && !isUnknown(text)) {
            problems.push(`path ${JSON.stringify(path)} must map to text (got ${typeof text})`);
        }
    }
    const paths = new Set(entries.map(([path]) => path));
    for (const path of paths) {
        const segments = path.split("/");
        for (let i = 1; i < segments.length; i++) {
            const directory = segments.slice(0, i).join("/");
            if (paths.has(directory)) {
                problems.push(`path ${JSON.stringify(directory)} is a file, but ${JSON.stringify(path)} needs it to be a directory`);
            }
        }
    }
    return problems;
}

function authorProblems(author: unknown): string[] {
    if (author === null || typeof author !== "object") {
        return ["must be { name, email }"];
    }
    const { name, email } = author as Record<string, unknown>;
    const problems: string[] = [];
    // Git strips or rejects these in ident lines; a commit must carry exactly what was asked.
    const badIdent = (v: unknown) => typeof v !== "string" || v.trim() === "" || /[<>\n\r]/.test(v);
    if (!isUnknown(name) && badIdent(name)) {
        problems.push("name must be non-empty text without <, > or newlines");
    }
    if (!isUnknown(email) && (badIdent(email) || !String(email).includes("@"))) {
        problems.push("email must be an address without <, > or newlines");
    }
    return problems;
}

/**
 * Everything wrong with a set of inputs (a GitPushRequest, or the raw inputs the dynamic
 * provider's check receives, where values unknown in a preview are skipped). Reasons never
 * quote the password.
 */
export function pushRequestProblems(inputs: Readonly<Record<string, unknown>>): InputProblem[] {
    const problems: InputProblem[] = [];
    const add = (property: string, reason: string | undefined) => reason !== undefined && problems.push({ property, reason });
    const { url, branch, username, password, files, author, message, caCertificate, timeoutSeconds } = inputs;
    if (!isUnknown(url)) {
        add("url", urlProblem(url));
    }
    if (!isUnknown(branch)) {
        add("branch", branchProblem(branch));
    }
    if (!isUnknown(username) && (typeof username !== "string" || username === "" || username.includes(":"))) {
        add("username", "must be a non-empty string without ':'");
    }
    if (!isUnknown(password) && (typeof password !== "string" || password === "")) {
        add("password", "must be a non-empty string");
    }
    if (!isUnknown(files)) {
        filesProblems(files).forEach((reason) => add("files", reason));
    }
    if (!isUnknown(author)) {
        authorProblems(author).forEach((reason) => add("author", reason));
    }
    if (!isUnknown(message) && (typeof message !== "string" || message.trim() === "")) {
        add("message", "must be a non-empty commit message");
    }
    if (caCertificate !== undefined && caCertificate !== null && !isUnknown(caCertificate)) {
        if (typeof caCertificate !== "string" || !caCertificate.includes("-----BEGIN CERTIFICATE-----")) {
            add("caCertificate", "must be PEM text with at least one -----BEGIN CERTIFICATE----- block");
        }
    }
    if (timeoutSeconds !== undefined && timeoutSeconds !== null && !isUnknown(timeoutSeconds)) {
        if (typeof timeoutSeconds !== "number" || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
            add("timeoutSeconds", "must be a positive number of seconds");
        }
    }
    return problems;
}

/** sha256 of the tree's paths and texts: what the dynamic provider diffs instead of the files. */
export function filesTreeHash(files: Readonly<Record<string, string>>): string {
    const crypto = process.getBuiltinModule("node:crypto");
    const hash = crypto.createHash("sha256");
    for (const path of Object.keys(files).sort()) {
        const text = String(files[path]);
        // Lengths make the encoding unambiguous whatever the paths and texts contain.
        hash.update(`${Buffer.byteLength(path)}:${path}\n${Buffer.byteLength(text)}:`);
        hash.update(text);
        hash.update("\n");
    }
    return hash.digest("hex");
}

/** Replaces every given secret (and its usual encodings) in `text` with ***. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
    let scrubbed = text;
    const forms = new Set<string>();
    for (const secret of secrets) {
        if (secret.length > 0) {
            forms.add(secret);
            forms.add(encodeURIComponent(secret));
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    for (const form of [...forms].sort((a, b) => b.length - a.length)) {
        scrubbed = scrubbed.split(form).join("***");
    }
    return scrubbed;
}

interface GitRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly timedOut: boolean;
}

interface GitSession {
    readonly url: string;
    readonly branch: string;
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    /** Values scrubbed from anything git prints before it reaches an error message. */
    readonly secrets: readonly string[];
    readonly deadline: number;
}

type FailureKind = "transient" | "auth" | "not-found" | "other";

interface GitSeedError extends Error {
    gitSeedFailure?: FailureKind;
}

function failure(message: string, kind: FailureKind): GitSeedError {
    const error: GitSeedError = new Error(message);
    error.gitSeedFailure = kind;
    return error;
}

function classifyGitFailure(output: string): FailureKind {
    if (/Authentication failed|could not read (Username|Password)|returned error: 40[13]|HTTP 40[13]\b/i.test(output)) {
        return "auth";
    }
    if (/repository '.*' not found|returned error: 404|HTTP 404\b|Repository not found/i.test(output)) {
        return "not-found";
    }
    // The server is not answering yet: nothing listens (the ingress or Gitea is starting), the
    // ingress has no healthy backend (502/503/504), or it still serves its default
    // certificate because cert-manager has not issued Gitea's yet (TLS verification fails).
    const notReady =
        /Failed to connect|Couldn't connect|Connection refused|Connection reset|Connection timed out|Operation timed out|Empty reply from server|Recv failure|Send failure|returned error: 50[234]|HTTP 50[234]\b|unexpected disconnect|remote end hung up|SSL certificate problem|SSL_ERROR|SSL routines|gnutls_handshake|server certificate verification failed|no alternative certificate subject name|certificate verify failed/i;
    return notReady.test(output) ? "transient" : "other";
}

function runGit(session: GitSession, args: readonly string[], input?: string): Promise<GitRun> {
    const { spawn } = process.getBuiltinModule("node:child_process");
    // A server that accepts connections but never answers must not hang `pulumi up`: stop
    // each command a little after the retry deadline.
    const limitMs = Math.max(session.deadline - Date.now(), 0) + 20_000;
    return new Promise((resolve, reject) => {
        const child = spawn("git", args, { cwd: session.cwd, env: session.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, limitMs);
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            reject(err.code === "ENOENT" ? gitMissingError(session.url) : err);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, timedOut });
        });
        // git may exit before reading all of stdin (e.g. on a usage error): that is its
        // exit status's business, not an EPIPE crash of ours.
        child.stdin.on("error", () => undefined);
        child.stdin.end(input ?? "");
    });
}

function gitMissingError(url: string): Error {
    return new Error(
        `Seeding the GitOps repository ${url} needs the git command-line client (${minimumGitVersion.join(".")} or newer) ` +
            "on the machine running `pulumi up`, and none was found on PATH. Install git and run `pulumi up` again.",
    );
}

/** Runs a local (offline) git command; any failure is final. */
async function gitLocal(session: GitSession, args: readonly string[], input?: string): Promise<string> {
    const run = await runGit(session, args, input);
    if (run.code !== 0) {
        throw failure(`git ${args[0]} failed: ${scrubSecrets(run.stderr.trim() || run.stdout.trim(), session.secrets)}`, "other");
    }
    return run.stdout;
}

/** Runs a command that talks to the server; its failure is classified for the retry loop. */
async function gitRemote(session: GitSession, args: readonly string[]): Promise<GitRun & { kind?: FailureKind; output: string }> {
    const run = await runGit(session, args);
    const output = scrubSecrets(`${run.stderr}\n${run.stdout}`.trim(), session.secrets);
    if (run.code === 0) {
        return { ...run, output };
    }
    return { ...run, output, kind: run.timedOut ? "transient" : classifyGitFailure(output) };
}

function remoteFailure(session: GitSession, what: string, run: { kind?: FailureKind; output: string }): GitSeedError {
    if (run.kind === "auth") {
        return failure(
            `Authentication to the Git server failed while ${what} ${session.url}: check the username and password given to GitSeed ` +
                `(for the in-cluster Gitea, its admin credentials). git said: ${run.output}`,
            "auth",
        );
    }
    return failure(`git failed while ${what} ${session.url}: ${run.output}`, run.kind ?? "other");
}

async function checkGitVersion(session: GitSession): Promise<void> {
    const version = await gitLocal(session, ["--version"]);
    const match = /(\d+)\.(\d+)/.exec(version);
    const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
    if (major < minimumGitVersion[0] || (major === minimumGitVersion[0] && minor < minimumGitVersion[1])) {
        throw new Error(
            `Seeding the GitOps repository ${session.url} needs git ${minimumGitVersion.join(".")} or newer on the machine running \`pulumi up\` (found: ${version.trim()}).`,
        );
    }
}

/**
 * The environment of every git command: no user or system config (so no credential
 * helpers, rewrites or signing), no prompts, English messages, and the settings (the
 * Authorization header included) as GIT_CONFIG_* variables, never as arguments.
 */
function gitEnvironment(home: string, gitDir: string, request: GitPushRequest, caFile: string | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // What git needs from the outer environment: where programs are, where temp files go
    // and the proxy the machine may need (as plain git would honour it).
    const passThrough = ["PATH", "Path", "SystemRoot", "TMPDIR", "TEMP", "TMP", "http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"];
    for (const name of passThrough) {
        if (process.env[name] !== undefined) {
            env[name] = process.env[name];
        }
    }
    const basic = Buffer.from(`${request.username}:${request.password}`).toString("base64");
    const config: [string, string][] = [
        ["http.extraHeader", `Authorization: Basic ${basic}`],
        ["credential.helper", ""],
        ["http.sslVerify", "true"],
        // A redirect could carry the Authorization header to another server.
        ["http.followRedirects", "false"],
        // A connection that stalls (under 1 byte/s for 30 s) fails, and is retried.
        ["http.lowSpeedLimit", "1"],
        ["http.lowSpeedTime", "30"],
        ["init.defaultBranch", request.branch],
        ["core.autocrlf", "false"],
        ["gc.auto", "0"],
        ["maintenance.auto", "false"],
        ...(caFile ? ([["http.sslCAInfo", caFile]] as [string, string][]) : []),
    ];
    config.forEach(([key, value], i) => {
        env[`GIT_CONFIG_KEY_${i}`] = key;
        env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    return {
        ...env,
        GIT_CONFIG_COUNT: String(config.length),
        HOME: home,
        XDG_CONFIG_HOME: home,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
        GIT_DIR: gitDir,
        GIT_INDEX_FILE: `${gitDir}/seed-index`,
        LANG: "C",
        LC_ALL: "C",
        GIT_AUTHOR_NAME: request.author.name,
        GIT_AUTHOR_EMAIL: request.author.email,
        GIT_COMMITTER_NAME: request.author.name,
        GIT_COMMITTER_EMAIL: request.author.email,
    };
}

/** Writes the files into a fresh index and returns the tree object git makes of them. */
async function writeTree(session: GitSession, contentDir: string, files: Readonly<Record<string, string>>): Promise<string> {
    const fs = process.getBuiltinModule("node:fs");
    const path = process.getBuiltinModule("node:path");
    const paths = Object.keys(files).sort();
    for (const file of paths) {
        const target = path.join(contentDir, ...file.split("/"));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, files[file]);
    }
    // One process hashes all blobs; --no-filters keeps the bytes as given (no attributes).
    const absolute = paths.map((file) => path.join(contentDir, ...file.split("/")));
    const blobs = (await gitLocal(session, ["hash-object", "-w", "--no-filters", "--stdin-paths"], `${absolute.join("\n")}\n`)).trim().split("\n");
    const indexInfo = paths.map((file, i) => `100644 ${blobs[i]}\t${file}\n`).join("");
    await gitLocal(session, ["update-index", "--add", "--index-info"], indexInfo);
    return (await gitLocal(session, ["write-tree"])).trim();
}

/** The remote branch's head, or undefined for a missing branch or a missing repository. */
async function remoteHead(session: GitSession): Promise<string | undefined> {
    const ref = `refs/heads/${session.branch}`;
    const run = await gitRemote(session, ["ls-remote", "--", session.url, ref]);
    if (run.kind === "not-found") {
        // Gitea creates a repository on its first push (ENABLE_PUSH_CREATE_USER): until then
        // it answers 404, which here means "empty".
        return undefined;
    }
    if (run.kind !== undefined) {
        throw remoteFailure(session, "listing the branches of", run);
    }
    const line = run.stdout.split("\n").find((l) => l.split("\t")[1] === ref);
    return line?.split("\t")[0];
}

/** Fetches the remote branch's head commit (only it: the history is not needed). */
async function fetchHead(session: GitSession): Promise<string | undefined> {
    const run = await gitRemote(session, ["fetch", "--quiet", "--no-tags", "--depth=1", "--", session.url, `+refs/heads/${session.branch}:refs/seed/remote`]);
    if (run.kind !== undefined) {
        if (/couldn't find remote ref/i.test(run.output)) {
            return undefined;
        }
        throw remoteFailure(session, "fetching", run);
    }
    return (await gitLocal(session, ["rev-parse", "--verify", "refs/seed/remote^{commit}"])).trim();
}

async function changedPaths(session: GitSession, parent: string | undefined, tree: string, files: Readonly<Record<string, string>>): Promise<string[]> {
    if (parent === undefined) {
        return Object.keys(files).sort();
    }
    const out = await gitLocal(session, ["diff-tree", "-r", "-z", "--no-renames", "--name-only", parent, tree]);
    return out
        .split("\0")
        .filter((p) => p !== "")
        .sort();
}

async function pushCommit(session: GitSession, commit: string): Promise<void> {
    const ref = `refs/heads/${session.branch}`;
    // Never --force: the branch may only move forward from the head this run built on.
    const run = await gitRemote(session, ["push", "--porcelain", "--", session.url, `${commit}:${ref}`]);
    const rejected = run.stdout.split("\n").find((l) => l.startsWith("!\t"));
    if (rejected !== undefined) {
        const reason = rejected.split("\t")[2] ?? "rejected";
        throw failure(
            `The push to ${session.url} (branch ${session.branch}) was refused: ${reason}. The branch moved while seeding ` +
                "(someone pushed meanwhile) or the server declined it; GitSeed never force-pushes. Run `pulumi up` again to build on the new head.",
            "other",
        );
    }
    if (run.kind === "not-found") {
        // A push creates a missing repository on Gitea, so a 404 here means the ingress does
        // not route to Gitea yet.
        throw remoteFailure(session, "pushing to", { ...run, kind: "transient" });
    }
    if (run.kind !== undefined) {
        throw remoteFailure(session, "pushing to", run);
    }
}

/** One full round: read the remote head, compare, commit and push. */
async function seedOnce(session: GitSession, request: GitPushRequest, tree: string): Promise<GitPushResult> {
    const advertised = await remoteHead(session);
    // The branch may move between the two commands: the fetched commit is the parent.
    const head = advertised === undefined ? undefined : await fetchHead(session);
    if (head !== undefined) {
        const headTree = (await gitLocal(session, ["rev-parse", "--verify", `${head}^{tree}`])).trim();
        if (headTree === tree) {
            return { commit: head, pushed: false, changedFiles: [] };
        }
    }
    const changedFiles = await changedPaths(session, head, tree, request.files);
    const parentArgs = head === undefined ? [] : ["-p", head];
    const commit = (await gitLocal(session, ["commit-tree", tree, ...parentArgs, "-F", "-"], request.message)).trim();
    await pushCommit(session, commit);
    return { commit, pushed: true, changedFiles };
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Makes `request.branch` of the repository hold exactly `request.files`: one new commit on
 * top of the remote head (or a root commit when the branch or repository does not exist),
 * pushed without force; nothing at all when the branch already holds that tree. Retries
 * for up to timeoutSeconds while the server is not answering yet.
 */
export async function pushTree(request: GitPushRequest): Promise<GitPushResult> {
    const problems = pushRequestProblems(request as unknown as Record<string, unknown>);
    if (problems.length > 0) {
        throw new Error(`GitSeed: invalid input: ${problems.map((p) => `${p.property} ${p.reason}`).join("; ")}`);
    }
    const fs = process.getBuiltinModule("node:fs");
    const os = process.getBuiltinModule("node:os");
    const path = process.getBuiltinModule("node:path");
    const timeoutSeconds = request.timeoutSeconds ?? defaultTimeoutSeconds;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "git-seed-"));
    try {
        const home = path.join(work, "home");
        const gitDir = path.join(work, "repo.git");
        fs.mkdirSync(home);
        let caFile: string | undefined;
        if (request.caCertificate) {
            caFile = path.join(work, "ca.pem");
            fs.writeFileSync(caFile, request.caCertificate);
        }
        const basic = Buffer.from(`${request.username}:${request.password}`).toString("base64");
        const session: GitSession = {
            url: request.url,
            branch: request.branch,
            env: gitEnvironment(home, gitDir, request, caFile),
            cwd: work,
            secrets: [request.password, basic, `${request.username}:${request.password}`],
            deadline: Date.now() + timeoutSeconds * 1000,
        };
        await checkGitVersion(session);
        await gitLocal(session, ["init", "--quiet", "--bare", gitDir]);
        const tree = await writeTree(session, path.join(work, "content"), request.files);

        let delayMs = 250;
        for (;;) {
            try {
                return await seedOnce(session, request, tree);
            } catch (e) {
                const error = e as GitSeedError;
                if (error.gitSeedFailure !== "transient") {
                    throw error;
                }
                if (Date.now() + delayMs >= session.deadline) {
                    throw new Error(
                        `The Git server at ${request.url} did not answer within ${timeoutSeconds} s (timeoutSeconds). ` +
                            `If it is still starting, run \`pulumi up\` again; if https fails on the certificate, check caCertificate. Last error: ${error.message}`,
                    );
                }
                await sleep(delayMs);
                delayMs = Math.min(delayMs * 1.5, 5_000);
            }
        }
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}
