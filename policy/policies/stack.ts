// Helpers for stack policies.

import type { PolicyResource } from "@pulumi/policy";
import { reachable } from "../lib/graph";

/** The stack's outputs, as the engine shows them on the root Stack resource. */
export function stackOutputs(resources: readonly PolicyResource[]): Record<string, unknown> {
    return resources.find((r) => r.type === "pulumi:pulumi:Stack")?.props ?? {};
}

/** Every resource `resource` waits on, directly or through others. */
export function transitiveDependencies(resource: PolicyResource): Set<PolicyResource> {
    return reachable(resource.dependencies, (r) => r.dependencies);
}
