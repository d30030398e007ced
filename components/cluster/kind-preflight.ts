// Preflight checks for a local kind cluster: Docker is reachable and big enough, the host
// ports are free, and kind is the release the node images are pinned for. Run before
// `kind create cluster`, so a laptop that is missing something fails in seconds with the
// numbers and the fix, instead of minutes into node creation or with pods OOM-killed later.
//
// Pure functions turn what `docker` and `kind` print into findings; the runners execute
// the commands. This module is serialized by value into the KindPreflight dynamic provider
// (kind-preflight-resource.ts), which runs in a process of its own: it imports nothing, and
// the runners `require` the Node built-ins they use inside themselves.

export type PreflightCheck = "docker" | "memory" | "cpu" | "ports" | "kind";

/** An error blocks the cluster's creation; a warning only informs. */
export type PreflightSeverity = "error" | "warning";

export interface PreflightFinding {
    readonly check: PreflightCheck;
    readonly ok: boolean;
    /** What a failure of this check means; on a passed check, what a failure would have meant. */
    readonly severity: PreflightSeverity;
    readonly message: string;
}

export interface KindHostPorts {
    readonly http: number;
    readonly https: number;
    /** Host address the ports are published on, e.g. 127.0.0.1. */
    readonly listenAddress: string;
}

export interface KindPreflightInput {
    /** The kind cluster's name; its control-plane container is `<clusterName>-control-plane`. */
    readonly clusterName: string;
    readonly hostPorts: KindHostPorts;
    /** The platform's steady-state requests (what `npm run budget` reports). */
    readonly requests: { readonly cpuMillicores: number; readonly memoryBytes: number };
    /** Nodes of the cluster, its one control plane included. */
    readonly nodes: number;
    /** The kind release the node images are pinned for, e.g. v0.33.0. */
    readonly kindVersion: string;
}

/** What a command did. `error` is the spawn error's code: ENOENT (not on PATH), ETIMEDOUT. */
export interface CommandResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly error?: string;
}

export type Exec = (command: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;
export type ExecSync = (command: string, args: readonly string[], timeoutMs: number) => CommandResult;

/** Everything the checks look at: the input of evaluateKindPreflight. */
export interface PreflightObservations {
    readonly dockerInfo: CommandResult;
    readonly kindVersion: CommandResult;
    /** Per host port: "free", or the code binding it failed with (EADDRINUSE, EACCES, ...). */
    readonly ports: Readonly<Record<string, string>>;
    /** `docker ps` names and published ports; only asked for when a port was not free. */
    readonly dockerPs?: CommandResult;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * What kind itself costs, on top of the platform's requests. Conservative, from these facts:
 * - Control plane: kubeadm's static pods request kube-apiserver 250m, kube-controller-manager
 *   200m, kube-scheduler 100m and etcd 100m/100Mi; kubeadm's CoreDNS runs 2 replicas of
 *   100m/70Mi; kind's kindnet requests 100m/50Mi on every node. That is 950m → 1 CPU. The
 *   requested memory is small, but an idle apiserver plus etcd use several hundred MiB, and
 *   kubelet plus containerd another 100–200 MiB → 1 GiB.
 * - Worker: kindnet 100m/50Mi, kube-proxy (no requests), kubelet and containerd, which use
 *   100–200 MiB between them → 200m and 512 MiB.
 * - Docker's own host: the Linux VM's kernel and dockerd come out of Docker Desktop's
 *   memory (MemTotal) too → 512 MiB.
 * kubeadm documents 2 GB and 2 CPUs per machine; kind's nodes share one kernel and one
 * Docker, so per node they need less than a machine does.
 */
const controlPlaneOverhead = { cpuMillicores: 1000, memoryBytes: 1 * GiB };
const workerOverhead = { cpuMillicores: 200, memoryBytes: 512 * MiB };
const dockerHostMemoryBytes = 512 * MiB;

/** kubeadm's minimum CPUs for a control plane (its preflight checks it; kind skips that check). */
const minimumCpus = 2;

const commandTimeoutMs = 10_000;
/** Program-time warnings must not hold up a preview: a hung Docker gets less time there. */
const warnTimeoutMs = 3_000;

const kindInstallUrl = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation";
const hostPortsKey = "fawkes:cluster.hostPorts";
const resourcesFix = "raise Docker Desktop's limits (Settings → Resources) or switch apps off with fawkes:apps (see `npm run budget`)";

/** kind's own CPU and memory for a cluster of `nodes` nodes (one control plane, the rest workers). */
export function kindOverhead(nodes: number): { cpuMillicores: number; memoryBytes: number } {
    const workers = Math.max(0, nodes - 1);
    return {
        cpuMillicores: controlPlaneOverhead.cpuMillicores + workers * workerOverhead.cpuMillicores,
        memoryBytes: dockerHostMemoryBytes + controlPlaneOverhead.memoryBytes + workers * workerOverhead.memoryBytes,
    };
}

// Round what Docker has down and what is needed up, so "has 16.0, needs 16.0" cannot fail.
const gibDown = (bytes: number) => (Math.floor((bytes / GiB) * 10) / 10).toFixed(1);
const gibUp = (bytes: number) => (Math.ceil((bytes / GiB) * 10) / 10).toFixed(1);
const cpus = (millicores: number) => (Math.ceil(millicores / 100) / 10).toFixed(1);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Error text as shown to the user: one line, bounded, with any URL credentials masked. */
export function scrubErrorText(text: string): string {
    const oneLine = text.replace(/\s+/g, " ").trim();
    const masked = oneLine.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@");
    return masked.length > 400 ? `${masked.slice(0, 400)}…` : masked;
}

export interface DockerInfo {
    readonly memTotalBytes?: number;
    readonly ncpu?: number;
    /** Rootless Docker cannot publish ports below 1024 (unless the host lowered that limit). */
    readonly rootless: boolean;
}

export type DockerInfoResult = { readonly reachable: true; readonly info: DockerInfo } | { readonly reachable: false; readonly reason: string };

/** Reads `docker info --format '{{json .}}'`. With the daemon down the CLI still prints client-side JSON, and exits 1. */
export function parseDockerInfo(result: CommandResult): DockerInfoResult {
    if (result.error === "ENOENT") {
        return { reachable: false, reason: "docker is not on PATH: install Docker Desktop (https://docs.docker.com/desktop/) or Docker Engine" };
    }
    if (result.error === "ETIMEDOUT") {
        return { reachable: false, reason: "`docker info` did not answer in time: is Docker still starting? Try again once `docker info` answers" };
    }
    let json: Record<string, unknown> | undefined;
    try {
        const parsed: unknown = JSON.parse(result.stdout);
        json = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        json = undefined;
    }
    const serverErrors = Array.isArray(json?.ServerErrors) ? json.ServerErrors.map(String) : [];
    if (result.status !== 0 || result.error !== undefined || serverErrors.length > 0) {
        const said = scrubErrorText([...serverErrors, result.stderr].join(" ")) || `\`docker info\` failed (${result.error ?? `exit status ${String(result.status)}`})`;
        return { reachable: false, reason: `Docker is not reachable: "${said}"; start Docker Desktop (or the Docker daemon) and try again` };
    }
    if (json === undefined) {
        return { reachable: false, reason: `\`docker info\` printed something other than JSON: ${scrubErrorText(result.stdout.slice(0, 200))}` };
    }
    const positive = (v: unknown) => (typeof v === "number" && v > 0 ? v : undefined);
    const securityOptions = Array.isArray(json.SecurityOptions) ? json.SecurityOptions.map(String) : [];
    return {
        reachable: true,
        info: { memTotalBytes: positive(json.MemTotal), ncpu: positive(json.NCPU), rootless: securityOptions.some((o) => /(^|,)name=rootless(,|$)/.test(o)) },
    };
}

/**
 * Memory and CPU. Every kind node reports all of Docker's memory and CPUs as its own, so the
 * scheduler never stops memory over-commit: Docker's total must hold the platform's requests
 * plus kind's overhead, or pods get OOM-killed. CPU is compressible: more requests than CPUs
 * only slows things down (a warning), but fewer than kubeadm's 2 CPUs, or requests over
 * what all nodes together offer the scheduler (pods would stay Pending), is an error.
 */
export function resourceFindings(input: KindPreflightInput, info: DockerInfo): PreflightFinding[] {
    const overhead = kindOverhead(input.nodes);
    const neededBytes = input.requests.memoryBytes + overhead.memoryBytes;
    const neededMillicores = input.requests.cpuMillicores + overhead.cpuMillicores;
    const findings: PreflightFinding[] = [];

    const needs =
        `the platform needs at least ${gibUp(neededBytes)} GiB (requests ${gibUp(input.requests.memoryBytes)} GiB + kind overhead ` +
        `${gibUp(overhead.memoryBytes)} GiB for ${plural(input.nodes, "node")}) and ${minimumCpus} CPUs`;
    if (info.memTotalBytes === undefined) {
        findings.push({ check: "memory", ok: false, severity: "warning", message: `could not read Docker's memory (MemTotal) from \`docker info\`; ${needs}` });
    } else {
        const has = `Docker has ${gibDown(info.memTotalBytes)} GiB${info.ncpu === undefined ? "" : ` and ${plural(info.ncpu, "CPU")}`}`;
        const ok = info.memTotalBytes >= neededBytes;
        findings.push({ check: "memory", ok, severity: "error", message: ok ? `${has}; ${needs}` : `${has}; ${needs}; ${resourcesFix}` });
    }

    if (info.ncpu === undefined) {
        findings.push({ check: "cpu", ok: false, severity: "warning", message: `could not read Docker's CPUs (NCPU) from \`docker info\`; a kind cluster needs at least ${minimumCpus}` });
        return findings;
    }
    const requested = `the platform requests ${cpus(neededMillicores)} CPUs (${cpus(input.requests.cpuMillicores)} for its apps + ${cpus(overhead.cpuMillicores)} kind overhead)`;
    const schedulable = info.ncpu * 1000 * input.nodes;
    if (info.ncpu < minimumCpus) {
        findings.push({
            check: "cpu",
            ok: false,
            severity: "error",
            message: `Docker has ${plural(info.ncpu, "CPU")}; a kind cluster needs at least ${minimumCpus} (kubeadm's minimum for a control plane); raise Docker Desktop's limits (Settings → Resources)`,
        });
    } else if (neededMillicores > schedulable) {
        findings.push({
            check: "cpu",
            ok: false,
            severity: "error",
            message:
                `Docker has ${plural(info.ncpu, "CPU")}, so the ${plural(input.nodes, "kind node")} offer the scheduler ${cpus(schedulable)} CPUs in all, but ${requested}: ` +
                `pods would stay Pending; ${resourcesFix}`,
        });
    } else if (neededMillicores > info.ncpu * 1000) {
        findings.push({
            check: "cpu",
            ok: false,
            severity: "warning",
            message: `Docker has ${plural(info.ncpu, "CPU")} and ${requested}: CPU is shared, so the platform runs, only slower (start-up most); for headroom ${resourcesFix}`,
        });
    } else {
        findings.push({ check: "cpu", ok: true, severity: "warning", message: `Docker has ${plural(info.ncpu, "CPU")}; ${requested}` });
    }
    return findings;
}

/** The version in `kind version` output, e.g. `kind v0.33.0 go1.25.1 linux/amd64` → v0.33.0. */
export function parseKindVersion(stdout: string): string | undefined {
    return /^kind (v\d+\.\d+\.\d+\S*)/m.exec(stdout.trim())?.[1];
}

export function kindVersionFinding(wanted: string, result: CommandResult): PreflightFinding {
    const install = `install kind ${wanted}: ${kindInstallUrl} (or https://github.com/kubernetes-sigs/kind/releases/tag/${wanted})`;
    const fail = (message: string): PreflightFinding => ({ check: "kind", ok: false, severity: "error", message });
    if (result.error === "ENOENT") {
        return fail(`kind is not on PATH; ${install}`);
    }
    if (result.status !== 0 || result.error !== undefined) {
        return fail(`\`kind version\` failed (${result.error ?? `exit status ${String(result.status)}`}): ${scrubErrorText(result.stderr)}; ${install}`);
    }
    const found = parseKindVersion(result.stdout);
    if (found === undefined) {
        return fail(`could not read kind's version from \`kind version\`: "${scrubErrorText(result.stdout)}"; ${install}`);
    }
    if (found !== wanted) {
        return fail(`kind ${found} is installed but this stack needs kind ${wanted}: its kindest/node images are pinned to that release; ${install}`);
    }
    return { check: "kind", ok: true, severity: "error", message: `kind ${found}` };
}

export interface PublishedPort {
    readonly container: string;
    readonly hostIp: string;
    readonly firstPort: number;
    readonly lastPort: number;
}

/**
 * Reads `docker ps --format '{{.Names}}\t{{.Ports}}'`, whose ports look like
 * `127.0.0.1:80->80/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, [::]:443->443/tcp, 6443/tcp`.
 */
export function parsePublishedPorts(stdout: string): PublishedPort[] {
    const published: PublishedPort[] = [];
    for (const line of stdout.split("\n")) {
        const [names = "", ports = ""] = line.split("\t");
        const container = names.split(",")[0].trim();
        for (const entry of ports.split(",")) {
            const m = /^(.*):(\d+)(?:-(\d+))?->\d+(?:-\d+)?\/tcp$/.exec(entry.trim());
            if (container !== "" && m) {
                published.push({ container, hostIp: m[1].replace(/^\[(.*)\]$/, "$1"), firstPort: Number(m[2]), lastPort: Number(m[3] ?? m[2]) });
            }
        }
    }
    return published;
}

const wildcard = (address: string) => address === "" || address === "0.0.0.0" || address === "::";

/** The container publishing `port` on an address that overlaps `listenAddress`, if any. */
export function portHolder(published: readonly PublishedPort[], port: number, listenAddress: string): string | undefined {
    return published.find((p) => port >= p.firstPort && port <= p.lastPort && (p.hostIp === listenAddress || wildcard(p.hostIp) || wildcard(listenAddress)))?.container;
}

/** The control-plane container kind creates for a cluster; kind publishes the host ports on it. */
export const controlPlaneContainer = (clusterName: string) => `${clusterName}-control-plane`;

export interface PortContext {
    /** Containers' published ports, or undefined when Docker could not be asked. */
    readonly published?: readonly PublishedPort[];
    /** From docker info; undefined when Docker was not reachable. */
    readonly rootless?: boolean;
}

/**
 * One port's finding from the outcome of binding it. Held by this stack's own control plane
 * (a cluster that already exists) is fine: kind deletes it before creating the new one.
 */
export function portFinding(input: KindPreflightInput, name: "http" | "https", outcome: string, context: PortContext): PreflightFinding {
    const { listenAddress } = input.hostPorts;
    const port = input.hostPorts[name];
    const where = `host port ${port} (${name}) on ${listenAddress}`;
    const moveIt = `or set ${hostPortsKey} to free ports, e.g. {"http": 8080, "https": 8443, "listenAddress": "${listenAddress}"}`;
    const ok = (message: string): PreflightFinding => ({ check: "ports", ok: true, severity: "error", message });
    const fail = (message: string, severity: PreflightSeverity = "error"): PreflightFinding => ({ check: "ports", ok: false, severity, message });
    if (outcome === "free") {
        return ok(`${where} is free`);
    }
    const ours = controlPlaneContainer(input.clusterName);
    const holder = context.published === undefined ? undefined : portHolder(context.published, port, listenAddress);
    if (holder === ours) {
        return ok(`${where} is held by this stack's kind control plane (${ours})`);
    }
    if (holder !== undefined) {
        return fail(`${where} is taken by the Docker container "${holder}"; stop it (docker stop ${holder}) ${moveIt}`);
    }
    switch (outcome) {
        case "EADDRINUSE":
            return fail(
                `${where} is taken by another process (see \`lsof -nP -iTCP:${port} -sTCP:LISTEN\` or \`ss -ltnp 'sport = :${port}'\`); stop it ${moveIt}`,
            );
        case "EACCES":
            if (context.rootless === true) {
                return fail(
                    `${where}: permission denied, and rootless Docker cannot publish ports below 1024 either; ` +
                        `set ${hostPortsKey} to high ports, e.g. {"http": 8080, "https": 8443, "listenAddress": "${listenAddress}"}`,
                );
            }
            // A root Docker daemon binds ports this process may not, so all that is known is
            // that no container holds it.
            return fail(
                `could not test ${where}: binding it needs privileges this process lacks; Docker's daemon can still publish it unless another process holds it`,
                "warning",
            );
        case "EADDRNOTAVAIL":
            return fail(`${listenAddress} is not an address of this machine; set ${hostPortsKey}.listenAddress to 127.0.0.1 or one of its addresses`);
        default:
            return fail(`could not test ${where}: ${scrubErrorText(outcome)}`, "warning");
    }
}

export function portFindings(input: KindPreflightInput, ports: Readonly<Record<string, string>>, context: PortContext): PreflightFinding[] {
    const { http, https } = input.hostPorts;
    const invalid = [http, https].filter((p) => !Number.isInteger(p) || p < 1 || p > 65535);
    if (invalid.length > 0) {
        return [{ check: "ports", ok: false, severity: "error", message: `${hostPortsKey}: ${invalid.join(", ")} is not a TCP port (1–65535)` }];
    }
    if (http === https) {
        return [{ check: "ports", ok: false, severity: "error", message: `${hostPortsKey}: http and https are both ${http}; they need a port each` }];
    }
    return (["http", "https"] as const).map((name) => portFinding(input, name, ports[String(input.hostPorts[name])] ?? "not tested", context));
}

/** All findings, from what the commands printed. */
export function evaluateKindPreflight(input: KindPreflightInput, seen: PreflightObservations): PreflightFinding[] {
    const docker = parseDockerInfo(seen.dockerInfo);
    const findings: PreflightFinding[] = [];
    let context: PortContext = {};
    if (docker.reachable) {
        findings.push({ check: "docker", ok: true, severity: "error", message: "Docker is reachable" });
        findings.push(...resourceFindings(input, docker.info));
        const ps = seen.dockerPs;
        const published = ps !== undefined && ps.status === 0 ? parsePublishedPorts(ps.stdout) : undefined;
        context = { published, rootless: docker.info.rootless };
    } else {
        findings.push({ check: "docker", ok: false, severity: "error", message: docker.reason });
    }
    findings.push(...portFindings(input, seen.ports, context));
    findings.push(kindVersionFinding(input.kindVersion, seen.kindVersion));
    return findings;
}

/** The message `pulumi up` fails with, or undefined when no check failed with an error. */
export function preflightFailure(clusterName: string, findings: readonly PreflightFinding[]): string | undefined {
    const errors = findings.filter((f) => !f.ok && f.severity === "error");
    if (errors.length === 0) {
        return undefined;
    }
    return [`the kind cluster "${clusterName}" cannot be created here:`, ...errors.map((f) => `  - ${f.check}: ${f.message}`)].join("\n");
}

/** One line per finding, for the resource's outputs and logs. */
export function preflightSummary(findings: readonly PreflightFinding[]): string {
    return findings.map((f) => `${f.ok ? "ok" : f.severity}: ${f.check}: ${f.message}`).join("\n");
}

// Binds each port on the host and closes it again, printing {port: "free" | error code}.
// It runs as a child process so that the synchronous program-time check can use it too.
const portProbeScript = `
const net = require("node:net");
const [host, ...ports] = process.argv.slice(1);
const probe = (port) => new Promise((resolve) => {
  const server = net.createServer();
  server.once("error", (e) => resolve(e.code || String(e.message)));
  server.listen({ port: Number(port), host, exclusive: true }, () => server.close(() => resolve("free")));
});
(async () => {
  const out = {};
  for (const port of ports) out[port] = await probe(port);
  process.stdout.write(JSON.stringify(out));
})();
`;

function portProbeArgs(ports: KindHostPorts): string[] {
    return ["-e", portProbeScript, ports.listenAddress, String(ports.http), String(ports.https)];
}

function parsePortProbe(result: CommandResult, ports: KindHostPorts): Record<string, string> {
    try {
        const parsed: unknown = JSON.parse(result.stdout);
        if (typeof parsed === "object" && parsed !== null) {
            return parsed as Record<string, string>;
        }
    } catch {
        // reported as each port's outcome below
    }
    const why = `the port probe failed: ${scrubErrorText(result.stderr) || result.error || `exit status ${String(result.status)}`}`;
    return { [String(ports.http)]: why, [String(ports.https)]: why };
}

const dockerInfoArgs = ["info", "--format", "{{json .}}"];
const dockerPsArgs = ["ps", "--format", "{{.Names}}\t{{.Ports}}"];
const needsPortHolders = (ports: Record<string, string>, dockerInfo: CommandResult) =>
    Object.values(ports).some((o) => o !== "free") && parseDockerInfo(dockerInfo).reachable;

/** Runs a command without a shell; never rejects. */
export function execCommand(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required here so the dynamic provider's serialized copy is self-contained
    const { execFile } = require("node:child_process") as typeof import("node:child_process");
    return new Promise((resolve) => {
        execFile(command, [...args], { timeout: timeoutMs, encoding: "utf8", maxBuffer: 4 * MiB, windowsHide: true }, (err, stdout, stderr) => {
            if (err === null) {
                resolve({ status: 0, stdout, stderr });
                return;
            }
            const e = err as { code?: string | number | null; killed?: boolean; message: string };
            if (typeof e.code === "number") {
                resolve({ status: e.code, stdout, stderr });
            } else {
                resolve({ status: null, stdout, stderr: stderr || e.message, error: e.killed === true ? "ETIMEDOUT" : (e.code ?? "EUNKNOWN") });
            }
        });
    });
}

/** Runs a command without a shell, synchronously; never throws. */
export function execCommandSync(command: string, args: readonly string[], timeoutMs: number): CommandResult {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see execCommand
    const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
    const r = spawnSync(command, [...args], { timeout: timeoutMs, encoding: "utf8", maxBuffer: 4 * MiB, windowsHide: true });
    const error = r.error === undefined ? undefined : ((r.error as NodeJS.ErrnoException).code ?? r.error.message);
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ...(error === undefined ? {} : { error }) };
}

/** Runs every check; `exec` runs the commands (docker, kind, and node for the port probe). */
export async function runKindPreflight(input: KindPreflightInput, exec: Exec = execCommand): Promise<PreflightFinding[]> {
    const [dockerInfo, kindVersion, probe] = await Promise.all([
        exec("docker", dockerInfoArgs, commandTimeoutMs),
        exec("kind", ["version"], commandTimeoutMs),
        exec(process.execPath, portProbeArgs(input.hostPorts), commandTimeoutMs),
    ]);
    const ports = parsePortProbe(probe, input.hostPorts);
    const dockerPs = needsPortHolders(ports, dockerInfo) ? await exec("docker", dockerPsArgs, commandTimeoutMs) : undefined;
    return evaluateKindPreflight(input, { dockerInfo, kindVersion, ports, dockerPs });
}

/**
 * The same checks, synchronously and with shorter timeouts, for program-time warnings.
 * Without Docker it costs a failed spawn or two and one short node process.
 */
export function runKindPreflightSync(input: KindPreflightInput, exec: ExecSync = execCommandSync): PreflightFinding[] {
    const dockerInfo = exec("docker", dockerInfoArgs, warnTimeoutMs);
    const kindVersion = exec("kind", ["version"], warnTimeoutMs);
    const ports = parsePortProbe(exec(process.execPath, portProbeArgs(input.hostPorts), warnTimeoutMs), input.hostPorts);
    const dockerPs = needsPortHolders(ports, dockerInfo) ? exec("docker", dockerPsArgs, warnTimeoutMs) : undefined;
    return evaluateKindPreflight(input, { dockerInfo, kindVersion, ports, dockerPs });
}
