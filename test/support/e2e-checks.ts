// The checks of the end-to-end test (test/e2e.spec.ts), kept apart from it so they can be
// unit-tested here, where no cluster can run (test/e2e-checks.spec.ts): the stack config
// of the e2e stack, reading the stack outputs and `kubectl` answers, the HTTPS probes and
// the Argo CD API calls, and the Markdown the test writes to the job summary.
//
// Nothing here prints or returns a secret: error texts that could carry one go through
// `scrub` first, and comparisons of secrets answer only "same" or "not".

import * as https from "node:https";

/** Stack, cluster and Argo CD names the e2e run uses. */
export const e2eStackName = "e2e";
export const e2eClusterName = "fawkes-e2e";
export const argoCdNamespace = "argocd";
export const argoCdAdminSecret = "argocd-admin-credentials";

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON object from an environment variable, or undefined when it is unset or empty. */
function jsonObjectFromEnv(name: string, text: string | undefined): Plain | undefined {
    if (text === undefined || text.trim() === "") {
        return undefined;
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new Error(`${name} is not JSON: ${(e as Error).message}`);
    }
    if (!isPlain(value)) {
        throw new Error(`${name} must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
    }
    return value;
}

/** FAWKES_E2E_APPS: `{ "<catalog app>": true|false, ... }`, merged over the stack file's `fawkes:apps`. */
export function parseAppsOverride(text: string | undefined): Record<string, boolean> | undefined {
    const value = jsonObjectFromEnv("FAWKES_E2E_APPS", text);
    if (value === undefined) {
        return undefined;
    }
    const notBoolean = Object.entries(value).filter(([, v]) => typeof v !== "boolean");
    if (notBoolean.length > 0) {
        throw new Error(`FAWKES_E2E_APPS: every value must be true or false (${notBoolean.map(([k]) => k).join(", ")} is not)`);
    }
    return value as Record<string, boolean>;
}

/**
 * FAWKES_E2E_HOST_PORTS: `{ "http": 8080, "https": 8443, "listenAddress": "127.0.0.1" }`,
 * merged over `fawkes:cluster.hostPorts`. The program validates the fields themselves.
 */
export function parseHostPortsOverride(text: string | undefined): Plain | undefined {
    return jsonObjectFromEnv("FAWKES_E2E_HOST_PORTS", text);
}

export interface E2eOverrides {
    /** FAWKES_E2E_APPS as text. */
    readonly apps?: string;
    /** FAWKES_E2E_HOST_PORTS as text. */
    readonly hostPorts?: string;
}

/**
 * The e2e stack's config, structured as a stack file's `config:` (and so as the Automation
 * API's saveStackSettings writes it): the dev stack file's config with Pulumi.yaml's
 * defaults, on the e2e cluster's name, with the overrides merged in. Structured, not as
 * `pulumi config set` strings: the CLI rejects a string for a key Pulumi.yaml declares
 * `type: object`. `pulumi:` keys are the project's own (Pulumi.yaml `value`s) and stay out.
 */
export function e2eStackConfig(stackFile: Readonly<Plain>, overrides: E2eOverrides = {}): Plain {
    const config: Plain = structuredClone(stackFile);
    const cluster: Plain = isPlain(config["fawkes:cluster"]) ? config["fawkes:cluster"] : {};
    const hostPorts = parseHostPortsOverride(overrides.hostPorts);
    config["fawkes:cluster"] = {
        ...cluster,
        name: e2eClusterName,
        ...(hostPorts ? { hostPorts: { ...(isPlain(cluster.hostPorts) ? cluster.hostPorts : {}), ...hostPorts } } : {}),
    };
    const apps = parseAppsOverride(overrides.apps);
    if (apps) {
        config["fawkes:apps"] = { ...(isPlain(config["fawkes:apps"]) ? config["fawkes:apps"] : {}), ...apps };
    }
    return Object.fromEntries(Object.entries(config).filter(([key, value]) => !key.startsWith("pulumi:") && value !== undefined));
}

/** The `fawkes:apps` switches of an e2e stack config (for the Applications it must end up with). */
export function appSwitches(config: Readonly<Plain>): Record<string, boolean> {
    const apps = config["fawkes:apps"];
    return isPlain(apps) ? (apps as Record<string, boolean>) : {};
}

export interface AppUrl {
    readonly app: string;
    readonly url: string;
}

/** Every UI the stack exports in `urls`, sorted by app; a missing or non-https entry is an error. */
export function uiUrls(outputs: Readonly<Plain>): AppUrl[] {
    const urls = outputs.urls;
    if (!isPlain(urls) || Object.keys(urls).length === 0) {
        throw new Error("the stack exports no `urls` (app name → https URL)");
    }
    return Object.entries(urls)
        .map(([app, url]) => {
            if (typeof url !== "string" || !/^https:\/\/[^/\s]+/.test(url)) {
                throw new Error(`urls.${app} is not an https URL: ${JSON.stringify(url)}`);
            }
            return { app, url };
        })
        .sort((a, b) => a.app.localeCompare(b.app));
}

export interface Credential {
    readonly url: string;
    readonly username: string;
    readonly password: string;
}

/** The login of one app from the `credentials` output; which field is missing, never its value. */
export function credentialOf(outputs: Readonly<Plain>, app: string): Credential {
    const all = outputs.credentials;
    const entry = isPlain(all) ? all[app] : undefined;
    if (!isPlain(entry)) {
        throw new Error(`the stack's \`credentials\` output has no entry for ${app}`);
    }
    const missing = ["url", "username", "password"].filter((k) => typeof entry[k] !== "string" || entry[k] === "");
    if (missing.length > 0) {
        throw new Error(`credentials.${app} lacks ${missing.join(", ")}`);
    }
    return { url: entry.url as string, username: entry.username as string, password: entry.password as string };
}

/** The local CA's certificate from `tls.localCaCertificate`. */
export function localCaCertificate(outputs: Readonly<Plain>): string {
    const pem = isPlain(outputs.tls) ? outputs.tls.localCaCertificate : undefined;
    if (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----")) {
        throw new Error("the stack exports no PEM certificate in tls.localCaCertificate (is fawkes:tls.issuer local-ca?)");
    }
    return pem;
}

/** Replaces every occurrence of the given secrets in a text (an error message, a body) with ***. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
    return secrets
        .filter((s): s is string => typeof s === "string" && s.length > 0)
        .sort((a, b) => b.length - a.length)
        .reduce((t, s) => t.split(s).join("***"), text);
}

export interface HttpsAnswer {
    readonly status: number;
    readonly location?: string;
    readonly body: string;
}

export interface HttpsRequest {
    readonly method?: "GET" | "POST";
    /** PEM of the only CA to trust: the platform's local CA. */
    readonly ca: string;
    readonly json?: unknown;
    readonly bearer?: string;
    readonly timeoutMs?: number;
}

/**
 * One HTTPS request, verified against `ca` only, following no redirect (Node's https never
 * does), with a deadline, on a connection of its own (no keep-alive socket left open to hold
 * the test process). Errors name the URL and the cause, scrubbed of the bearer token and
 * of any string in the JSON body.
 */
export function httpsRequest(url: string, request: HttpsRequest): Promise<HttpsAnswer> {
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    const secrets = [request.bearer, ...(isPlain(request.json) ? Object.values(request.json).filter((v): v is string => typeof v === "string") : [])];
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
    }
    if (request.bearer !== undefined) {
        headers.authorization = `Bearer ${request.bearer}`;
    }
    return new Promise((resolve, reject) => {
        const req = https.request(url, { method: request.method ?? "GET", ca: request.ca, headers, timeout: request.timeoutMs ?? 15_000, agent: false }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
                // Only an API answer is read; a UI's page is kept to a bounded size.
                if (text.length < 1_000_000) {
                    text += chunk;
                }
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }));
            res.on("error", (e) => reject(new Error(scrub(`${url}: ${e.message}`, secrets))));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${request.timeoutMs ?? 15_000} ms`)));
        req.on("error", (e: NodeJS.ErrnoException) => reject(new Error(scrub(`${url}: ${e.code && !e.message.includes(e.code) ? `${e.code} ` : ""}${e.message}`, secrets))));
        req.end(body);
    });
}

export interface ProbeResult {
    readonly app: string;
    readonly url: string;
    readonly status?: number;
    readonly location?: string;
    readonly error?: string;
}

/** GET every URL with the CA; a status below 500 (a login page, a redirect to one) means it answers. */
export async function probeUrls(urls: readonly AppUrl[], ca: string, timeoutMs?: number): Promise<ProbeResult[]> {
    return Promise.all(
        urls.map(async ({ app, url }): Promise<ProbeResult> => {
            try {
                const answer = await httpsRequest(url, { ca, timeoutMs });
                return { app, url, status: answer.status, location: answer.location };
            } catch (e) {
                const message = (e as Error).message;
                return { app, url, error: message.startsWith(`${url}: `) ? message.slice(url.length + 2) : message };
            }
        }),
    );
}

/** One line per URL that does not answer over verified HTTPS with a status below 500. */
export function probeProblems(results: readonly ProbeResult[]): string[] {
    return results
        .filter((r) => r.error !== undefined || r.status === undefined || r.status >= 500)
        .map((r) => `${r.app} ${r.url}: ${r.error ?? `HTTP ${r.status}`}`);
}

/** Argo CD's API: POST /api/v1/session with the login → the session token (never printed). */
export async function argoCdLogin(baseUrl: string, ca: string, login: Pick<Credential, "username" | "password">): Promise<string> {
    const answer = await httpsRequest(new URL("/api/v1/session", baseUrl).toString(), { method: "POST", ca, json: { username: login.username, password: login.password } });
    if (answer.status !== 200) {
        throw new Error(`Argo CD login answered HTTP ${answer.status}: ${scrub(answer.body, [login.password]).slice(0, 300)}`);
    }
    const token = (JSON.parse(answer.body) as { token?: unknown }).token;
    if (typeof token !== "string" || token === "") {
        throw new Error("Argo CD login answered 200 without a token");
    }
    return token;
}

/** Argo CD's API: GET /api/v1/applications with the session token → the Applications' names, sorted. */
export async function argoCdApplicationNames(baseUrl: string, ca: string, token: string): Promise<string[]> {
    const answer = await httpsRequest(new URL("/api/v1/applications", baseUrl).toString(), { ca, bearer: token });
    if (answer.status !== 200) {
        throw new Error(`Argo CD GET /api/v1/applications answered HTTP ${answer.status}: ${scrub(answer.body, [token]).slice(0, 300)}`);
    }
    // An empty list comes back as `{ "items": null }`.
    const items = (JSON.parse(answer.body) as { items?: { metadata?: { name?: string } }[] | null }).items ?? [];
    return items.map((a) => String(a.metadata?.name)).sort();
}

export interface ApplicationState {
    readonly name: string;
    readonly sync: string;
    readonly health: string;
    /** What Argo CD says is wrong: its conditions, the health message, a failed operation's message. */
    readonly messages: readonly string[];
}

/** The Applications of `kubectl get applications.argoproj.io -o json`, sorted by name. */
export function applicationStates(list: unknown): ApplicationState[] {
    if (!isPlain(list) || !Array.isArray(list.items)) {
        throw new Error("not a kubectl list (no items)");
    }
    return (list.items as unknown[])
        .map((item): ApplicationState => {
            const app = isPlain(item) ? item : {};
            const status = isPlain(app.status) ? app.status : {};
            const sync = isPlain(status.sync) ? status.sync : {};
            const health = isPlain(status.health) ? status.health : {};
            const operation = isPlain(status.operationState) ? status.operationState : {};
            const conditions = Array.isArray(status.conditions) ? (status.conditions as unknown[]).filter(isPlain) : [];
            const messages = [
                ...conditions.map((c) => `${String(c.type)}: ${String(c.message)}`),
                ...(typeof health.message === "string" && health.message !== "" ? [`health: ${health.message}`] : []),
                ...(operation.phase !== undefined && operation.phase !== "Succeeded" && typeof operation.message === "string" ? [`${String(operation.phase)}: ${operation.message}`] : []),
            ];
            return {
                name: String(isPlain(app.metadata) ? app.metadata.name : "?"),
                sync: typeof sync.status === "string" ? sync.status : "Unknown",
                health: typeof health.status === "string" ? health.status : "Unknown",
                messages,
            };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What stands between the Applications and "all Synced and Healthy": each that is not, with
 * what Argo CD says about it, and each expected one that does not exist. An empty list of
 * Applications is a problem too (nothing was checked).
 */
export function applicationProblems(states: readonly ApplicationState[], expected: readonly string[] = []): string[] {
    const problems = states
        .filter((s) => s.sync !== "Synced" || s.health !== "Healthy")
        .map((s) => `${s.name}: ${s.sync}/${s.health}${s.messages.length > 0 ? ` (${s.messages.join("; ")})` : ""}`);
    const present = new Set(states.map((s) => s.name));
    const missing = expected.filter((n) => !present.has(n)).map((n) => `${n}: no Application`);
    return states.length === 0 ? ["no Applications in argocd", ...missing] : [...problems, ...missing];
}

/** A key of a `kubectl get secret -o json` answer, decoded; undefined when the Secret or key is absent. */
export function secretKey(secret: unknown, key: string): string | undefined {
    const data = isPlain(secret) && isPlain(secret.data) ? secret.data : undefined;
    const encoded = data?.[key];
    return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/**
 * The ExternalSecret that owns a Secret of `kubectl get secret -o json`, if any: External
 * Secrets sets itself as the owner of the Secrets it creates with creationPolicy Owner, so
 * this tells a Secret it delivered from one written some other way.
 */
export function owningExternalSecret(secret: unknown): string | undefined {
    const meta = isPlain(secret) && isPlain(secret.metadata) ? secret.metadata : {};
    const owners = Array.isArray(meta.ownerReferences) ? (meta.ownerReferences as unknown[]).filter(isPlain) : [];
    const owner = owners.find((o) => o.kind === "ExternalSecret" && typeof o.apiVersion === "string" && o.apiVersion.startsWith("external-secrets.io/"));
    return typeof owner?.name === "string" ? owner.name : undefined;
}

/** Whether `kind get clusters` lists the cluster (it prints one name a line, or "No kind clusters found."). */
export function kindClusterListed(kindGetClusters: string, name: string): boolean {
    return kindGetClusters.split(/\r?\n/).some((line) => line.trim() === name);
}

export interface E2eTimings {
    /** From the start of `pulumi up` to the kind cluster's creation. */
    readonly clusterMs?: number;
    /** To the last core Helm release. */
    readonly coreMs?: number;
    /** To the end of `pulumi up`, which waits for every Application to be Synced and Healthy. */
    readonly upMs: number;
    readonly destroyMs?: number;
}

const seconds = (ms: number | undefined): string => (ms === undefined ? "not seen" : `${Math.round(ms / 1000)} s`);
const minutes = (ms: number | undefined): string => (ms === undefined ? "" : `${(ms / 60_000).toFixed(1)} min`);

/** A duration as "754 s (12.6 min)". */
export const durationText = (ms: number): string => `${seconds(ms)} (${minutes(ms)})`;
const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

/** The timings as a Markdown table, for stdout and the job summary. */
export function formatTimings(timings: E2eTimings, caches: string): string {
    const rows: [string, number | undefined][] = [
        ["kind cluster", timings.clusterMs],
        ["core (last Helm release)", timings.coreMs],
        ["all apps Synced and Healthy (end of pulumi up)", timings.upMs],
        ...(timings.destroyMs === undefined ? [] : ([["pulumi destroy", timings.destroyMs]] as [string, number][])),
    ];
    return [
        `### e2e timings (${caches} image caches)`,
        "",
        "| phase | since the start of `pulumi up` | |",
        "| --- | ---: | ---: |",
        ...rows.map(([phase, ms]) => `| ${phase} | ${seconds(ms)} | ${minutes(ms)} |`),
        "",
    ].join("\n");
}

/** The URL probes as a Markdown table: app, URL, what answered. */
export function formatProbes(results: readonly ProbeResult[]): string {
    return [
        "### e2e: the platform's UIs over HTTPS (local CA)",
        "",
        "| app | URL | answer |",
        "| --- | --- | --- |",
        ...results.map((r) => `| ${cell(r.app)} | ${cell(r.url)} | ${cell(r.error ? `✖ ${r.error}` : `${(r.status ?? 0) < 500 ? "✔" : "✖"} HTTP ${r.status}${r.location ? ` → ${r.location}` : ""}`)} |`),
        "",
    ].join("\n");
}

/** The Applications as a Markdown table: name, sync, health. */
export function formatApplications(states: readonly ApplicationState[]): string {
    return [
        "### e2e: Argo CD Applications",
        "",
        "| Application | sync | health |",
        "| --- | --- | --- |",
        ...states.map((s) => `| ${cell(s.name)} | ${cell(s.sync)} | ${cell(s.health)} |`),
        "",
    ].join("\n");
}
