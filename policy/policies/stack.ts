// Helpers for stack policies.

import type { PolicyResource } from "@pulumi/policy";

/** The stack's outputs, as the engine shows them on the root Stack resource. */
export function stackOutputs(resources: readonly PolicyResource[]): Record<string, unknown> {
    return resources.find((r) => r.type === "pulumi:pulumi:Stack")?.props ?? {};
}

/** Every resource `resource` waits on, directly or through others. */
export function transitiveDependencies(resource: PolicyResource): Set<PolicyResource> {
    const seen = new Set<PolicyResource>();
    const stack = [...resource.dependencies];
    while (stack.length > 0) {
        const next = stack.pop()!;
        if (!seen.has(next)) {
            seen.add(next);
            stack.push(...next.dependencies);
        }
    }
    return seen;
}
