// Runs the policy pack exactly as the Pulumi engine does: start `policy/index.ts` as a
// plugin process, read the port it prints, and speak the analyzer gRPC protocol to it with
// the client generated into @pulumi/pulumi.

import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { projectRoot } from "../../scripts/lib/harness";
import type { AnalyzedResource } from "../../scripts/lib/policy-input";

export interface Diagnostic {
    readonly policy: string;
    /** 0 advisory, 1 mandatory, 2 disabled, 3 remediate (pulumirpc.EnforcementLevel). */
    readonly enforcementLevel: number;
    readonly message: string;
    readonly urn: string;
}

export const mandatory = 1;

const toStruct = (props: Record<string, unknown>) => Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as Parameters<typeof Struct.fromJavaScript>[0]);

function options(r: AnalyzedResource): analyzer.AnalyzerResourceOptions {
    const opts = new analyzer.AnalyzerResourceOptions();
    opts.setProtect(r.protect);
    if (r.parent) {
        opts.setParent(r.parent);
    }
    return opts;
}

/** The fields AnalyzeRequest and AnalyzerResource share, filled from one resource. */
function describe<T extends analyzer.AnalyzeRequest | analyzer.AnalyzerResource>(message: T, r: AnalyzedResource): T {
    message.setType(r.type);
    message.setName(r.name);
    message.setUrn(r.urn);
    message.setProperties(toStruct(r.props));
    message.setOptions(options(r));
    return message;
}

function toDiagnostics(response: analyzer.AnalyzeResponse): Diagnostic[] {
    return response.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), enforcementLevel: d.getEnforcementlevel(), message: d.getMessage(), urn: d.getUrn() }));
}

export class PolicyPackProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: analyzerRpc.AnalyzerClient,
    ) {}

    /** Starts the pack the way the engine's plugin host does and connects to it. */
    static async start(): Promise<PolicyPackProcess> {
        const policyDir = path.join(projectRoot, "policy");
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: policyDir, stdio: ["ignore", "pipe", "pipe"] });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            let err = "";
            child.stdout.on("data", (d: Buffer) => {
                out += d.toString();
                const line = out.split("\n").find((l) => /^\d+$/.test(l.trim()));
                if (line) {
                    resolve(Number(line.trim()));
                }
            });
            child.stderr.on("data", (d: Buffer) => (err += d.toString()));
            child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
        });
        const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PolicyPackProcess(child, client);
    }

    /** Promisifies one unary call: `send` issues it with the callback given. */
    private call<Res>(send: (callback: (err: grpc.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
        return new Promise((resolve, reject) => send((err, res) => (err ? reject(err) : resolve(res))));
    }

    /** Sends the pack its policy config, as `--policy-pack-config` does. */
    async configure(config: Record<string, Record<string, unknown>>): Promise<void> {
        const request = new analyzer.ConfigureAnalyzerRequest();
        // As the CLI reads a --policy-pack-config file: `enforcementLevel` is the level (mandatory
        // when a policy is configured without one), everything else the policy's properties.
        const levels: Record<string, number> = { advisory: 0, mandatory, disabled: 2 };
        for (const [policy, { enforcementLevel, ...values }] of Object.entries(config)) {
            const policyConfig = new analyzer.PolicyConfig();
            policyConfig.setEnforcementlevel(enforcementLevel === undefined ? mandatory : levels[String(enforcementLevel)]);
            policyConfig.setProperties(toStruct(values));
            request.getPolicyconfigMap().set(policy, policyConfig);
        }
        await this.call((cb) => this.client.configure(request, cb));
    }

    /** Per-resource analysis, as during a preview step. */
    async analyze(r: AnalyzedResource): Promise<Diagnostic[]> {
        const request = describe(new analyzer.AnalyzeRequest(), r);
        return toDiagnostics(await this.call<analyzer.AnalyzeResponse>((cb) => this.client.analyze(request, cb)));
    }

    /** Whole-stack analysis, as at the end of a preview or update. */
    async analyzeStack(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
        const request = new analyzer.AnalyzeStackRequest();
        request.setResourcesList(
            resources.map((r) => {
                const resource = describe(new analyzer.AnalyzerResource(), r);
                resource.setParent(r.parent);
                resource.setDependenciesList(r.dependencies);
                return resource;
            }),
        );
        return toDiagnostics(await this.call<analyzer.AnalyzeResponse>((cb) => this.client.analyzeStack(request, cb)));
    }

    /** Every resource through `analyze`, then the stack through `analyzeStack`. */
    async analyzeAll(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
        const perResource = await Promise.all(resources.map((r) => this.analyze(r)));
        return [...perResource.flat(), ...(await this.analyzeStack(resources))];
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}
