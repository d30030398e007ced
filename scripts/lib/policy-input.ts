// Turns a mocked program run into what the policy pack sees: the stack's resources with
// their final state as props, options, parent and dependencies, plus the root Stack with
// the stack outputs as its props. Also calls policies directly with the small stand-in
// args objects CrossGuard would build.

import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { RunResult } from "./harness";

/** One resource as the engine reports it to an analyzer. */
export interface AnalyzedResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    protect: boolean;
    parent: string;
    dependencies: string[];
}

const stackUrn = (run: RunResult) => run.resources.find((r) => r.parent !== "")?.parent ?? "urn:pulumi:stack::fawkes::pulumi:pulumi:Stack::fawkes-stack";

/** Plain, JSON-safe copies: mutate them freely to build unsafe variants. */
export function analyzedResources(run: RunResult): AnalyzedResource[] {
    const resources: AnalyzedResource[] = run.resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.custom ? r.state : (r.outputs ?? {}),
        protect: r.protect,
        parent: r.parent,
        dependencies: [...r.dependencies],
    }));
    resources.unshift({ type: "pulumi:pulumi:Stack", name: "stack", urn: stackUrn(run), props: run.outputs, protect: false, parent: "", dependencies: [] });
    return JSON.parse(JSON.stringify(resources)) as AnalyzedResource[];
}

/** The PolicyResource objects validateStack receives, with dependencies resolved to objects. */
export function policyResources(records: readonly AnalyzedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const resources = records.map((r) => {
        const resource = {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: r.props,
            opts: { protect: r.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
            dependencies: [] as PolicyResource[],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        } as unknown as PolicyResource;
        byUrn.set(r.urn, resource);
        return resource;
    });
    records.forEach((r, i) => {
        (resources[i] as { dependencies: PolicyResource[] }).dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        const parent = byUrn.get(r.parent);
        if (parent) {
            (resources[i] as { parent?: PolicyResource }).parent = parent;
        }
    });
    return resources;
}

const stackTags = new Map<string, string>();
const notApplicable = (reason?: string): never => {
    throw new Error(`not applicable: ${reason ?? ""}`);
};

/** Violations of a stack policy over the records. */
export function checkStack(policy: StackValidationPolicy, records: readonly AnalyzedResource[], config: Record<string, unknown> = {}): string[] {
    const violations: string[] = [];
    void policy.validateStack({ resources: policyResources(records), getConfig: <T>() => config as T, stackTags, notApplicable }, (message) => violations.push(message));
    return violations;
}

/** Violations of a resource policy over every record. */
export function checkResources(policy: ResourceValidationPolicy, records: readonly AnalyzedResource[], config: Record<string, unknown> = {}): string[] {
    const violations: string[] = [];
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
    for (const r of records) {
        for (const validate of validations) {
            void validate(
                { type: r.type, name: r.name, urn: r.urn, props: r.props, opts: policyResources([r])[0].opts, getConfig: <T>() => config as T, stackTags, notApplicable, isType: () => false, asType: () => undefined },
                (message) => violations.push(`${r.name}: ${message}`),
            );
        }
    }
    return violations;
}
