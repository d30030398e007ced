// A real Git smart-HTTP server for the specs: Node's http(s) server in front of
// `git http-backend` (CGI), with Basic auth required for pushes and Gitea's push-to-create
// emulated (a push to a missing repository creates it, bare and empty). Also makes a
// throwaway CA and server certificates with openssl for the https cases.

import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";

export interface TlsFiles {
    readonly key: string;
    readonly cert: string;
}

export interface GitServerOptions {
    /** GIT_PROJECT_ROOT: repositories live at <root>/<path>.git. */
    readonly root: string;
    readonly username: string;
    readonly password: string;
    /** 0 (the default) for any free port. */
    readonly port?: number;
    /** Serve https with this key and certificate. */
    readonly tls?: TlsFiles;
    /** Runs when a push starts (before the refs are advertised to the pusher). */
    readonly beforePush?: (repoDir: string) => void;
}

export interface ServedRequest {
    readonly method: string;
    readonly path: string;
    readonly service: string;
    readonly status: number;
}

export interface GitServer {
    readonly port: number;
    /** e.g. http://127.0.0.1:1234 */
    readonly origin: string;
    readonly requests: ServedRequest[];
    /** Successful receive-pack POSTs: the ref updates the server has seen. */
    receivePacks(): number;
    /** Serve another certificate from now on (https only). */
    setCertificate(tls: TlsFiles): void;
    close(): Promise<void>;
}

/** The environment for git commands run by specs: no user or system config. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: home, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", LANG: "C", LC_ALL: "C" };
}

/** A port that was free a moment ago, for a server started later. */
export async function freePort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

/** Splits a CGI response into its status, headers and the start of the body. */
function parseCgiHead(head: string): { status: number; headers: [string, string][] } {
    let status = 200;
    const headers: [string, string][] = [];
    for (const line of head.split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon <= 0) {
            continue;
        }
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") {
            status = Number.parseInt(value, 10);
        } else {
            headers.push([name, value]);
        }
    }
    return { status, headers };
}

function runHttpBackend(req: http.IncomingMessage, res: http.ServerResponse, env: NodeJS.ProcessEnv, done: (status: number) => void): void {
    const cgi = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let head = Buffer.alloc(0);
    let headDone = false;
    let status = 200;
    cgi.stdout.on("data", (chunk: Buffer) => {
        if (headDone) {
            res.write(chunk);
            return;
        }
        head = Buffer.concat([head, chunk]);
        const text = head.toString("latin1");
        const end = text.search(/\r?\n\r?\n/);
        if (end < 0) {
            return;
        }
        const separator = /\r?\n\r?\n/.exec(text.slice(end))![0].length;
        const parsed = parseCgiHead(text.slice(0, end));
        status = parsed.status;
        res.writeHead(status, parsed.headers);
        headDone = true;
        res.write(head.subarray(end + separator));
    });
    cgi.stderr.resume();
    cgi.on("close", () => {
        if (!headDone) {
            status = 502;
            res.writeHead(502);
        }
        res.end();
        done(status);
    });
    req.pipe(cgi.stdin);
    cgi.stdin.on("error", () => undefined);
}

/** Starts the server; resolves once it listens. */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
    const requests: ServedRequest[] = [];
    const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
    const gitEnv = isolatedGitEnv(options.root);

    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://server");
        // /<owner>/<name>.git/<git path>
        const match = /^\/([\w.-]+\/[\w.-]+\.git)(\/.*)$/.exec(decodeURIComponent(url.pathname));
        const service = url.searchParams.get("service") ?? (url.pathname.endsWith("/git-receive-pack") ? "git-receive-pack" : url.pathname.endsWith("/git-upload-pack") ? "git-upload-pack" : "");
        const record = (status: number) => requests.push({ method: req.method ?? "", path: url.pathname, service, status });
        const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "Content-Type": "text/plain", ...headers });
            res.end(text);
            record(status);
        };
        if (!match) {
            return reply(404, "not a repository path\n");
        }
        const [, repo] = match;
        const authorization = req.headers.authorization;
        const isPush = service === "git-receive-pack";
        // Like Gitea: bad credentials fail every request; none at all only fail pushes.
        if ((authorization !== undefined && authorization !== expected) || (isPush && authorization === undefined)) {
            return reply(401, "authentication required\n", { "WWW-Authenticate": 'Basic realm="git"' });
        }
        const repoDir = path.join(options.root, repo);
        if (isPush && req.method === "GET") {
            if (!fs.existsSync(repoDir)) {
                // Push-to-create: Gitea makes the repository on the first push.
                execFileSync("git", ["init", "--quiet", "--bare", repoDir], { env: gitEnv });
            }
            options.beforePush?.(repoDir);
        }
        const env: NodeJS.ProcessEnv = {
            ...gitEnv,
            GIT_PROJECT_ROOT: options.root,
            GIT_HTTP_EXPORT_ALL: "1",
            PATH_INFO: decodeURIComponent(url.pathname),
            QUERY_STRING: url.search.replace(/^\?/, ""),
            REQUEST_METHOD: req.method,
            CONTENT_TYPE: req.headers["content-type"] ?? "",
            REMOTE_ADDR: req.socket.remoteAddress ?? "",
            ...(authorization !== undefined ? { REMOTE_USER: options.username } : {}),
            ...(req.headers["content-length"] !== undefined ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
            ...(req.headers["content-encoding"] !== undefined ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
            ...(typeof req.headers["git-protocol"] === "string" ? { GIT_PROTOCOL: req.headers["git-protocol"] } : {}),
        };
        runHttpBackend(req, res, env, record);
    };

    const server: http.Server | https.Server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    return {
        port,
        origin: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
        requests,
        receivePacks: () => requests.filter((r) => r.method === "POST" && r.service === "git-receive-pack" && r.status === 200).length,
        setCertificate: (tls) => (server as https.Server).setSecureContext({ key: tls.key, cert: tls.cert }),
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

export interface TestCertificates {
    /** The CA that signed `server`. */
    readonly caPem: string;
    /** For 127.0.0.1, signed by the CA. */
    readonly server: TlsFiles;
    /** For 127.0.0.1 too, but self-signed: what an ingress serves before its cert is issued. */
    readonly placeholder: TlsFiles;
}

/** Makes a throwaway CA and certificates with openssl (EC keys: fast). */
export function makeTestCertificates(dir: string): TestCertificates {
    fs.mkdirSync(dir, { recursive: true });
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=GitSeed test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=127.0.0.1");
    fs.writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("server.pem"), "-days", "1", "-extfile", file("server.ext"));
    openssl("req", "-x509", ...ec, "-keyout", file("placeholder.key"), "-out", file("placeholder.pem"), "-days", "1", "-subj", "/CN=Fake Ingress Certificate", "-addext", "subjectAltName=IP:127.0.0.1");
    const read = (name: string) => fs.readFileSync(file(name), "utf8");
    return {
        caPem: read("ca.pem"),
        server: { key: read("server.key"), cert: read("server.pem") },
        placeholder: { key: read("placeholder.key"), cert: read("placeholder.pem") },
    };
}
