// A minimal Kubernetes API client from a kubeconfig string: GET, LIST and merge PATCH of
// JSON objects, with Node's http/https only. @kubernetes/client-node does not load on this
// Node 20 (its undici wants zstd), and this client also has to run inside Pulumi's
// dynamic-provider host, serialized by value: so no classes, no top-level imports; Node
// modules and `yaml` are required when called.
//
// Supported kubeconfig settings (current-context or a named one): cluster `server`,
// `certificate-authority-data` / `certificate-authority`, `insecure-skip-tls-verify`,
// `tls-server-name`; user `client-certificate-data` + `client-key-data` (or the file
// forms), `token` / `tokenFile`, `username` + `password`, and `exec` credential plugins
// (client.authentication.k8s.io/v1 and v1beta1 ExecCredential: EKS `aws eks get-token`,
// AKS `kubelogin`), whose credential is cached until its `expirationTimestamp`.
// Not supported: `proxy-url`, the legacy `auth-provider` (gcp, azure, oidc), and file paths
// relative to the kubeconfig's own location (there is none: they resolve from the cwd).

export interface KubeApi {
    /** The API server's URL, as the kubeconfig names it. */
    readonly server: string;
    get<T = unknown>(path: string): Promise<T>;
    /** The `items` of a list, following `continue` tokens. */
    list<T = unknown>(path: string): Promise<T[]>;
    /** A JSON merge patch (RFC 7386), as `kubectl patch --type merge` sends. */
    mergePatch<T = unknown>(path: string, body: unknown): Promise<T>;
}

/** An Error with the HTTP status of the API's answer (absent when none came). */
export interface KubeApiError extends Error {
    readonly statusCode?: number;
    /** The Status object's `reason`, e.g. NotFound, Forbidden. */
    readonly reason?: string;
}

export function isKubeApiError(error: unknown, statusCode?: number): error is KubeApiError {
    return error instanceof Error && "statusCode" in error && (statusCode === undefined || (error as KubeApiError).statusCode === statusCode);
}

export interface KubeApiOptions {
    /** A context other than current-context. */
    readonly context?: string;
    /** Per request; also the limit for an exec plugin. Default 30 s. */
    readonly timeoutMs?: number;
}

/** kubeconfig `users[].user.exec` (ExecConfig). */
export interface ExecConfig {
    readonly apiVersion?: string;
    readonly command: string;
    readonly args?: readonly string[];
    readonly env?: readonly { readonly name: string; readonly value: string }[];
    readonly installHint?: string;
    readonly provideClusterInfo?: boolean;
}

/** What a kubeconfig says about reaching and authenticating to one cluster. */
export interface KubeTarget {
    readonly server: string;
    readonly ca?: string;
    readonly insecureSkipTlsVerify: boolean;
    readonly tlsServerName?: string;
    readonly clientCert?: string;
    readonly clientKey?: string;
    readonly token?: string;
    readonly username?: string;
    readonly password?: string;
    readonly exec?: ExecConfig;
}

type Named<T> = { name?: string } & T;
interface Kubeconfig {
    "current-context"?: string;
    contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
    clusters?: Named<{ cluster?: Record<string, unknown> }>[];
    users?: Named<{ user?: Record<string, unknown> }>[];
}

/** Resolves the context of a kubeconfig to its cluster and credentials. Throws on gaps. */
export function kubeTarget(kubeconfig: string, context?: string): KubeTarget {
    const { fs, yaml } = nodeModules();
    const config = (yaml.parse(kubeconfig) ?? {}) as Kubeconfig;
    const contextName = context ?? config["current-context"];
    if (!contextName) throw new Error("the kubeconfig has no current-context");
    const ctx = config.contexts?.find((c) => c.name === contextName)?.context;
    if (!ctx) throw new Error(`the kubeconfig has no context ${contextName}`);
    const cluster = config.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
    if (!cluster) throw new Error(`the kubeconfig has no cluster ${String(ctx.cluster)} (context ${contextName})`);
    const user = config.users?.find((u) => u.name === ctx.user)?.user ?? {};
    const str = (record: Record<string, unknown>, key: string) => (typeof record[key] === "string" && record[key] !== "" ? record[key] : undefined);
    // `-data` fields carry base64 PEM; the plain fields name files.
    const pem = (record: Record<string, unknown>, key: string) => {
        const data = str(record, `${key}-data`);
        if (data) return Buffer.from(data, "base64").toString("utf8");
        const file = str(record, key);
        return file ? fs.readFileSync(file, "utf8") : undefined;
    };
    const server = str(cluster, "server");
    if (!server) throw new Error(`cluster ${String(ctx.cluster)} of the kubeconfig has no server`);
    const tokenFile = str(user, "tokenFile");
    const exec = user.exec as ExecConfig | undefined;
    if (exec !== undefined && typeof exec.command !== "string") throw new Error(`user ${String(ctx.user)} of the kubeconfig has an exec plugin without a command`);
    return {
        server,
        ca: pem(cluster, "certificate-authority"),
        insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
        tlsServerName: str(cluster, "tls-server-name"),
        clientCert: pem(user, "client-certificate"),
        clientKey: pem(user, "client-key"),
        token: str(user, "token") ?? (tokenFile ? fs.readFileSync(tokenFile, "utf8").trim() : undefined),
        username: str(user, "username"),
        password: str(user, "password"),
        exec,
    };
}

export function kubeApiFromKubeconfig(kubeconfig: string, options: KubeApiOptions = {}): KubeApi {
    return kubeApi(kubeTarget(kubeconfig, options.context), options);
}

interface Credential {
    readonly token?: string;
    readonly clientCert?: string;
    readonly clientKey?: string;
    /** Epoch ms; undefined: valid for the life of this client. */
    readonly expiresAt?: number;
}

export function kubeApi(target: KubeTarget, options: KubeApiOptions = {}): KubeApi {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const base = new URL(target.server);
    let execCredential: Credential | undefined;
    // Everything secret this client has seen: error text is scrubbed of each.
    const secrets = new Set([target.token, target.password, target.clientKey].filter((s): s is string => !!s));

    async function credential(renew: boolean): Promise<Credential> {
        if (!target.exec || target.token) return { token: target.token, clientCert: target.clientCert, clientKey: target.clientKey };
        if (renew || !execCredential || (execCredential.expiresAt !== undefined && Date.now() >= execCredential.expiresAt)) {
            execCredential = await runExecPlugin(target, timeoutMs);
            for (const s of [execCredential.token, execCredential.clientKey]) if (s) secrets.add(s);
        }
        // A plugin may return a token only, or a client certificate instead of the kubeconfig's.
        const cert = execCredential.clientCert && execCredential.clientKey ? execCredential : target;
        return { token: execCredential.token, clientCert: cert.clientCert, clientKey: cert.clientKey };
    }

    async function send(method: string, path: string, body?: unknown): Promise<unknown> {
        // A 401 with a plugin credential: the token may have been revoked early; get a new one once.
        let answer = await sendOnce(method, path, body, await credential(false));
        if (answer.status === 401 && target.exec && !target.token) answer = await sendOnce(method, path, body, await credential(true));
        if (answer.status >= 200 && answer.status < 300) {
            try {
                return answer.text ? JSON.parse(answer.text) : undefined;
            } catch {
                throw apiError(`${method} ${path}: the API server answered ${answer.status} with no JSON`, answer.status);
            }
        }
        let status: { message?: string; reason?: string } = {};
        try {
            status = JSON.parse(answer.text) as typeof status;
        } catch {
            // Not a Status object (a proxy's page, say): the status line says enough.
        }
        const detail = status.message ?? answer.text.slice(0, 200);
        throw apiError(`${method} ${path}: ${answer.status}${status.reason ? ` ${status.reason}` : ""}${detail ? `: ${detail}` : ""}`, answer.status, status.reason);
    }

    function sendOnce(method: string, path: string, body: unknown, cred: Credential): Promise<{ status: number; text: string }> {
        const { http, https } = nodeModules();
        // A server URL may carry a path prefix (API proxies do): paths go under it.
        const url = new URL(base.pathname.replace(/\/$/, "") + path, base);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string> = { Accept: "application/json" };
        if (payload !== undefined) {
            headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json" : "application/json";
            headers["Content-Length"] = String(Buffer.byteLength(payload));
        }
        if (cred.token) headers.Authorization = `Bearer ${cred.token}`;
        else if (target.username && target.password) headers.Authorization = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString("base64")}`;
        const tls = {
            ca: target.ca,
            cert: cred.clientCert,
            key: cred.clientKey,
            rejectUnauthorized: !target.insecureSkipTlsVerify,
            servername: target.tlsServerName,
        };
        const transport = url.protocol === "https:" ? https : http;
        return new Promise((resolve, reject) => {
            const req = transport.request(url, { method, headers, ...(url.protocol === "https:" ? tls : {}) }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (chunk: Buffer) => chunks.push(chunk));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
                res.on("error", (e) => reject(apiError(`${method} ${path}: ${e.message}`)));
            });
            req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${target.server} within ${timeoutMs} ms`)));
            req.on("error", (e) => reject(apiError(`${method} ${path}: ${e.message}`)));
            req.end(payload);
        });
    }

    function apiError(message: string, statusCode?: number, reason?: string): KubeApiError {
        const error = new Error(scrub(message, secrets)) as Error & { statusCode?: number; reason?: string };
        error.statusCode = statusCode;
        error.reason = reason;
        return error;
    }

    return {
        server: target.server,
        get: async <T>(path: string) => (await send("GET", path)) as T,
        list: async <T>(path: string) => {
            const items: T[] = [];
            let next: string | undefined;
            do {
                const query = new URLSearchParams({ limit: "500", ...(next ? { continue: next } : {}) });
                const page = (await send("GET", `${path}${path.includes("?") ? "&" : "?"}${query.toString()}`)) as { items?: T[]; metadata?: { continue?: string } };
                items.push(...(page.items ?? []));
                next = page.metadata?.continue || undefined;
            } while (next);
            return items;
        },
        mergePatch: async <T>(path: string, body: unknown) => (await send("PATCH", path, body)) as T,
    };
}

/**
 * Runs an exec credential plugin the way client-go does: the command with its args and env
 * (no shell), KUBERNETES_EXEC_INFO describing the request, stdin closed (never interactive).
 */
async function runExecPlugin(target: KubeTarget, timeoutMs: number): Promise<Credential> {
    const { childProcess } = nodeModules();
    const exec = target.exec as ExecConfig;
    const apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1";
    const cluster = exec.provideClusterInfo
        ? {
              server: target.server,
              ...(target.tlsServerName ? { "tls-server-name": target.tlsServerName } : {}),
              ...(target.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
              ...(target.ca ? { "certificate-authority-data": Buffer.from(target.ca).toString("base64") } : {}),
          }
        : undefined;
    const execInfo = { apiVersion, kind: "ExecCredential", spec: { interactive: false, ...(cluster ? { cluster } : {}) } };
    const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(execInfo) };
    for (const { name, value } of exec.env ?? []) env[name] = value;
    const stdout = await new Promise<string>((resolve, reject) => {
        const child = childProcess.execFile(exec.command, [...(exec.args ?? [])], { env, timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (error, out, err) => {
            if (!error) return resolve(out);
            if ((error as NodeJS.ErrnoException).code === "ENOENT") {
                return reject(new Error(`the kubeconfig's exec plugin ${exec.command} was not found${exec.installHint ? `: ${exec.installHint.trim()}` : ""}`));
            }
            // stderr may explain (an expired SSO session, a missing profile); stdout may hold a credential: never shown.
            const stderr = scrub(String(err).trim().split("\n").slice(-5).join(" | "), target.token ? [target.token] : []);
            reject(new Error(`the kubeconfig's exec plugin ${exec.command} failed: ${error.killed ? `no answer within ${timeoutMs} ms` : `exit ${String(error.code)}`}${stderr ? `: ${stderr}` : ""}`));
        });
        child.stdin?.end();
    });
    let parsed: { apiVersion?: string; kind?: string; status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
    try {
        parsed = JSON.parse(stdout) as typeof parsed;
    } catch {
        throw new Error(`the kubeconfig's exec plugin ${exec.command} printed no JSON ExecCredential`);
    }
    if (parsed.kind !== "ExecCredential" || !parsed.status) throw new Error(`the kubeconfig's exec plugin ${exec.command} printed no ExecCredential status`);
    const { token, clientCertificateData, clientKeyData, expirationTimestamp } = parsed.status;
    if (!token && !(clientCertificateData && clientKeyData)) throw new Error(`the kubeconfig's exec plugin ${exec.command} returned neither a token nor a client certificate`);
    const expiresAt = expirationTimestamp ? Date.parse(expirationTimestamp) : undefined;
    return {
        token,
        clientCert: clientCertificateData,
        clientKey: clientKeyData,
        expiresAt: expiresAt === undefined || Number.isNaN(expiresAt) ? undefined : expiresAt,
    };
}

/** Replaces each secret (and its base64 form) in a message. */
export function scrub(message: string, secrets: Iterable<string>): string {
    let text = message;
    for (const secret of secrets) {
        if (secret.length < 4) continue;
        for (const form of [secret, Buffer.from(secret).toString("base64")]) text = text.split(form).join("***");
    }
    return text;
}

/**
 * Node modules, required at call time: a top-level import would be captured by value when
 * Pulumi serializes a provider that calls this module, and native code cannot be.
 */
function nodeModules() {
    /* eslint-disable @typescript-eslint/no-require-imports */
    return {
        fs: require("node:fs") as typeof import("node:fs"),
        http: require("node:http") as typeof import("node:http"),
        https: require("node:https") as typeof import("node:https"),
        childProcess: require("node:child_process") as typeof import("node:child_process"),
        yaml: require("yaml") as typeof import("yaml"),
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
}
