// Runs the real program (index.ts) under Pulumi mocks and captures everything it registers:
// type, name, inputs (with which of them are secret), parent, dependencies, provider,
// protect and the other resource options that MockResourceArgs does not show.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { mockCall, mockState } from "./mocks";

export const projectRoot = path.resolve(__dirname, "..", "..");
const projectName = "fawkes";

/** Stack config as plain values keyed `namespace:key`, like a stack file's `config:`. */
export type StackConfig = Record<string, unknown>;

export interface CapturedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    readonly parent: string;
    /** Explicit dependsOn plus the resources whose outputs flow into the inputs. */
    readonly dependencies: readonly string[];
    /** URN of the explicit provider, or "" when the default provider would be used. */
    readonly provider: string;
    readonly protect: boolean;
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
    readonly additionalSecretOutputs: readonly string[];
    readonly deleteBeforeReplace: boolean;
    /** URN of the resource this one is deleted with ("" when none). */
    readonly deletedWith: string;
    /** Inputs with secrets unwrapped. */
    readonly inputs: Record<string, unknown>;
    /** Dotted paths of the inputs that were marked secret, e.g. `kubeconfig`, `data.password`. */
    readonly secretInputs: readonly string[];
    /** State the (mock) provider returned for the resource, secrets unwrapped. */
    readonly state: Record<string, unknown>;
    /** Outputs a component registered with registerOutputs (secrets unwrapped). */
    outputs?: Record<string, unknown>;
    secretOutputs?: readonly string[];
}

export interface RunResult {
    readonly resources: CapturedResource[];
    /** Stack outputs (secrets unwrapped) and which of them are secret. */
    readonly outputs: Record<string, unknown>;
    readonly secretOutputs: readonly string[];
    readonly warnings: readonly string[];
    /** The error the program failed with, if it did. */
    readonly error?: Error;
}

// Markers of Pulumi's property wire format (sdk/nodejs/runtime/rpc.ts).
const specialSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const resourceSig = "5cf8f73096256a8f31e491e813e4eb8e";
const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Turns the wire form of properties into plain values, recording where secrets were. */
export function decodeProperties(value: unknown, at = "", secrets: string[] = []): unknown {
    if (Array.isArray(value)) {
        return value.map((v, i) => decodeProperties(v, `${at}[${i}]`, secrets));
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[specialSigKey] === secretSig) {
            secrets.push(at);
            return decodeProperties(obj.value, at, secrets);
        }
        if (obj[specialSigKey] === resourceSig) {
            return { resourceRef: obj.urn };
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) {
            out[k] = decodeProperties(v, at === "" ? k : `${at}.${k}`, secrets);
        }
        return out;
    }
    return value === unknownValue ? undefined : value;
}

/** Pulumi.yaml's config defaults, applied as the Pulumi CLI does before a run. */
export function projectDefaults(): StackConfig {
    const project = parse(fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8")) as { config?: Record<string, Record<string, unknown>> };
    const defaults: StackConfig = {};
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${projectName}:${key}`;
        if ("default" in decl) {
            defaults[fullKey] = decl.default;
        } else if ("value" in decl) {
            defaults[fullKey] = decl.value;
        }
    }
    return defaults;
}

/** The config of `Pulumi.<stack>.yaml` on top of Pulumi.yaml's defaults. */
export function stackFileConfig(stack: string): StackConfig {
    const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
    const stackFile = parse(fs.readFileSync(file, "utf8")) as { config?: StackConfig };
    return { ...projectDefaults(), ...structuredClone(stackFile.config ?? {}) };
}

/** Config values reach a program as strings; structured ones as JSON. */
function toRuntimeConfig(config: StackConfig): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (value !== undefined) {
            out[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return out;
}

const programFile = path.join(projectRoot, "index.ts");

/**
 * Forget the program's entry module so the next require runs it afresh. The component
 * modules it imports hold no state of their own (config is read when index.ts calls
 * loadConfig), so they stay loaded: recompiling them for every run would only cost time.
 */
function unloadProgram(program: string): void {
    delete require.cache[require.resolve(program)];
}

// A failing program leaves rejected promises inside the SDK's Stack resource that nobody
// awaits; the real language host reports them as the program's error. The harness returns
// that error in RunResult instead, so rejections carrying it are expected; any other
// unhandled rejection is rethrown and fails the test that caused it.
const reportedErrors = new WeakSet<object>();
process.on("unhandledRejection", (reason) => {
    if (typeof reason === "object" && reason !== null && reportedErrors.has(reason)) {
        return;
    }
    throw reason;
});

type Callback = (err: Error | null, response?: unknown) => void;
interface MonitorRequest {
    [getter: string]: () => unknown;
}

/** The mocks most Pulumi unit tests use: state echoes inputs, calls answer with their args. */
export const plainMocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({ id: `${args.name}_id`, state: args.inputs as Record<string, unknown> }),
    call: (args) => args.inputs as Record<string, unknown>,
};
const realisticMocks: pulumi.runtime.Mocks = { newResource: (args) => ({ id: `${args.name}-id`, state: mockState(args) }), call: mockCall };

export interface RunOptions {
    /** Program to run instead of index.ts (the benchmark's one-resource baseline). */
    readonly program?: string;
    /** Mocks to use instead of the realistic ones in mocks.ts. */
    readonly mocks?: pulumi.runtime.Mocks;
    /** Project name given to setMocks; a generic harness may leave Pulumi's default. */
    readonly project?: string;
    /** Config keys stored encrypted, as `pulumi config set --secret` marks them. */
    readonly secretKeys?: readonly string[];
}

/** Runs index.ts for `stack` with `config`, as `pulumi up` would, against mocks. */
export async function runProgram(stack: string, config: StackConfig, options: RunOptions = {}): Promise<RunResult> {
    pulumi.runtime.setAllConfig(toRuntimeConfig(config), [...(options.secretKeys ?? [])]);
    await pulumi.runtime.setMocks(options.mocks ?? realisticMocks, options.project ?? projectName, stack, false);

    const resources: CapturedResource[] = [];
    const byUrn = new Map<string, CapturedResource>();
    const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, (req: MonitorRequest, cb: Callback) => void>;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) =>
        register(req, (err, response) => {
            if (!err && response) {
                const reply = response as { getUrn(): string; getObject(): { toJavaScript(): unknown } | undefined };
                const urn = reply.getUrn();
                const secretInputs: string[] = [];
                const object = req.getObject() as { toJavaScript(): unknown } | undefined;
                const inputs = decodeProperties(object?.toJavaScript() ?? {}, "", secretInputs) as Record<string, unknown>;
                const providerRef = (req.getProvider() as string | undefined) ?? "";
                const captured: CapturedResource = {
                    type: req.getType() as string,
                    name: req.getName() as string,
                    urn,
                    custom: req.getCustom() as boolean,
                    parent: req.getParent() as string,
                    dependencies: req.getDependenciesList() as string[],
                    provider: providerRef.split("::").slice(0, -1).join("::"),
                    protect: req.getProtect() === true,
                    ignoreChanges: req.getIgnorechangesList() as string[],
                    replaceOnChanges: req.getReplaceonchangesList() as string[],
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList() as string[],
                    deleteBeforeReplace: req.getDeletebeforereplace() === true,
                    deletedWith: (req.getDeletedwith() as string | undefined) ?? "",
                    inputs,
                    secretInputs,
                    state: decodeProperties(reply.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                };
                resources.push(captured);
                byUrn.set(urn, captured);
            }
            cb(err, response);
        });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        const target = byUrn.get(req.getUrn() as string);
        if (target) {
            const secrets: string[] = [];
            const outputs = req.getOutputs() as { toJavaScript(): unknown } | undefined;
            target.outputs = decodeProperties(outputs?.toJavaScript() ?? {}, "", secrets) as Record<string, unknown>;
            target.secretOutputs = secrets;
        }
        registerOutputs(req, cb);
    };

    const warnings: string[] = [];
    const originalWarn = pulumi.log.warn;
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = (msg: string) => {
        warnings.push(msg);
        return Promise.resolve();
    };

    // Pulumi records a stack trace for every resource it registers; under ts-node each trace
    // is mapped through source maps, which costs most of a run's time. The program's
    // positions are of no interest here, so trace without mapping while it runs.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back as is
    const mapStackTrace = Error.prepareStackTrace;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    // And every promise the SDK makes carries `new Error().stack`: one frame is enough (an
    // error's message, which the specs read, is untouched).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1;

    let error: Error | undefined;
    // An error thrown inside an apply (a check on a value known only at run time) fails the
    // update in the engine; here it surfaces as an unhandled rejection or exception: record it
    // as the run's error instead of letting it escape into the test runner.
    const processEvents = ["unhandledRejection", "uncaughtException"] as const;
    const saved = processEvents.map((event) => [event, process.listeners(event as "unhandledRejection")] as const);
    const record = (e: unknown) => {
        error ??= e instanceof Error ? e : new Error(String(e));
    };
    for (const event of processEvents) {
        process.removeAllListeners(event);
        process.on(event as "unhandledRejection", record);
    }
    try {
        const program = options.program ?? programFile;
        unloadProgram(program);
        // require, not import(): under nodenext a dynamic import stays ESM and cannot load
        // the TypeScript entry point; the Pulumi language host also requires the program.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await pulumi.runtime.runInPulumiStack(() => Promise.resolve(require(program) as Record<string, unknown>));
    } catch (e) {
        error = e as Error;
        reportedErrors.add(error);
    } finally {
        // Registrations that no stack output waits on are still in flight: drain them.
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs().catch((e: Error) => (error ??= e));
        (pulumi.log as { warn: typeof pulumi.log.warn }).warn = originalWarn;
        Error.prepareStackTrace = mapStackTrace;
        Error.stackTraceLimit = stackTraceLimit;
        // Let late rejections of this run land while our listener is still on.
        await new Promise((resolve) => setImmediate(resolve));
        for (const [event, listeners] of saved) {
            process.removeAllListeners(event);
            for (const listener of listeners) {
                process.on(event as "unhandledRejection", listener);
            }
        }
    }

    const stackResource = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    return {
        resources: resources.filter((r) => r !== stackResource),
        outputs: stackResource?.outputs ?? {},
        secretOutputs: stackResource?.secretOutputs ?? [],
        warnings,
        error,
    };
}

/**
 * Runs a stack file (`Pulumi.<stack>.yaml`), optionally changing its config first.
 *
 * A changed remote-source stack (a variant: other apps, another controller) generates a tree
 * other than the committed one, and the program rightly refuses to preview it against the
 * stale commit. For a variant the harness does what `npm run gitops` would: it writes the
 * variant's tree to a scratch folder inside the repository and points fawkes:gitops.path there.
 */
export async function runStackFile(stack: string, change?: (config: StackConfig) => void, options?: RunOptions): Promise<RunResult> {
    const config = stackFileConfig(stack);
    change?.(config);
    if (change !== undefined) {
        writeVariantTree(stack, config);
    }
    return runProgram(stack, config, options);
}

/** Where variants' trees go: ignored by Git, inside the repository as fawkes:gitops.path requires. */
const variantTreeRoot = "node_modules/.cache/fawkes-variant-trees";

function writeVariantTree(stack: string, config: StackConfig): void {
    /* eslint-disable @typescript-eslint/no-require-imports -- stacks.ts and the program's modules import this file */
    const { stackConfig } = require("./stacks") as typeof import("./stacks");
    const { staleTreeFiles, treeFiles } = require("../../components/gitops/tree-files") as typeof import("../../components/gitops/tree-files");
    /* eslint-enable @typescript-eslint/no-require-imports */
    // The tree never holds the repository's credentials, and parsing them would need their secrecy.
    const withoutCredentials = (c: StackConfig): StackConfig => {
        const gitops = c["fawkes:gitops"];
        const parsedGitops = (typeof gitops === "string" ? JSON.parse(gitops) : gitops) as Record<string, unknown> | undefined;
        return parsedGitops?.credentials === undefined ? c : { ...c, "fawkes:gitops": { ...parsedGitops, credentials: undefined } };
    };
    let parsed;
    try {
        parsed = stackConfig(stack, withoutCredentials(config));
    } catch {
        return; // An invalid variant: the program reports it itself.
    }
    if (parsed.gitops.source !== "remote" || staleTreeFiles(treeFiles(parsed), parsed.gitops.path, projectRoot).length === 0) {
        return;
    }
    const files = treeFiles(parsed);
    const id = createHash("sha256").update(JSON.stringify([...files])).digest("hex").slice(0, 16);
    const treePath = `${variantTreeRoot}/${id}`;
    const current = config["fawkes:gitops"];
    const gitops = { ...((typeof current === "string" ? JSON.parse(current) : current) as Record<string, unknown>), path: treePath };
    config["fawkes:gitops"] = gitops;
    for (const [file, text] of treeFiles(stackConfig(stack, withoutCredentials(config)))) {
        fs.mkdirSync(path.dirname(path.join(projectRoot, file)), { recursive: true });
        fs.writeFileSync(path.join(projectRoot, file), text);
    }
}

/** Runs of unchanged stack files, shared by every spec: a run is deterministic, and callers only read it. */
const unchangedRuns = new Map<string, Promise<RunResult>>();

/** The token an operator sets after an HA Vault's one-time init, as the specs write it. */
export const operatorVaultToken = "hvs.operator-token";
const withOperatorToken = new Map<string, Promise<RunResult>>();

/** A stack file with fawkes:vaultToken set (its Vault layer runs), run once per stack and shared by every spec. */
export function runWithOperatorTokenOk(stack: string): Promise<RunResult> {
    let pending = withOperatorToken.get(stack);
    if (pending === undefined) {
        pending = runStackFileOk(stack, (c) => (c["fawkes:vaultToken"] = operatorVaultToken));
        withOperatorToken.set(stack, pending);
    }
    return pending;
}

/** Like runStackFile, but fails the test with the program's own error if it failed. */
export async function runStackFileOk(stack: string, change?: (config: StackConfig) => void): Promise<RunResult> {
    let pending = change === undefined ? unchangedRuns.get(stack) : undefined;
    if (pending === undefined) {
        pending = runStackFile(stack, change);
        if (change === undefined) {
            unchangedRuns.set(stack, pending);
        }
    }
    const result = await pending;
    if (result.error) {
        throw result.error;
    }
    return result;
}

/**
 * The program's ConfigError, recognised by shape: each run loads the program's modules
 * afresh, so its error class is not the one a spec imports.
 */
export function asConfigError(error: unknown): { message: string; problems: { key: string; shown: string; allowed: string }[] } | undefined {
    const e = error as { name?: string; problems?: unknown } | undefined;
    return e?.name === "ConfigError" && Array.isArray(e.problems) ? (e as ReturnType<typeof asConfigError>) : undefined;
}

// Small query helpers for specs.
export const ofType = (run: RunResult, type: string) => run.resources.filter((r) => r.type === type);
export const byUrn = (run: RunResult, urn: string) => run.resources.find((r) => r.urn === urn);
