// The dependency graph between the platform's core components, as a mocked run registers
// it: Helm releases, the custom resources that need their CRDs, the Vault provider and the
// Vault role. Used by the ordering tests and the README diagram.

import type { CapturedResource, RunResult } from "./harness";

const releaseType = "kubernetes:helm.sh/v3:Release";

/** Core components keyed by a stable label such as `release:vault` or `ClusterPolicy:disallow-latest-tag`. */
export function coreNodes(run: RunResult): Map<string, CapturedResource> {
    const nodes = new Map<string, CapturedResource>();
    for (const r of run.resources) {
        const [pkg, module, kind] = r.type.split(":");
        if (r.type === releaseType) {
            nodes.set(`release:${String(r.inputs.name)}`, r);
        } else if (pkg === "kubernetes" && module.includes(".") && !module.startsWith("helm.sh") && !module.startsWith("storage.k8s.io")) {
            nodes.set(`${kind}:${(r.inputs.metadata as { name: string }).name}`, r);
        } else if (r.type === "pulumi:providers:vault") {
            nodes.set("vault-provider", r);
        } else if (r.type === "vault:kubernetes/authBackendRole:AuthBackendRole") {
            nodes.set("vault-role", r);
        }
    }
    return nodes;
}

/** Edges `A -> B` between core components, where A waits for B (a dependency or its provider); sorted. */
export function coreEdges(run: RunResult): string[] {
    const nodes = coreNodes(run);
    const label = new Map([...nodes].map(([k, r]) => [r.urn, k]));
    const edges = new Set<string>();
    for (const [key, r] of nodes) {
        for (const dep of [...r.dependencies, r.provider]) {
            const target = label.get(dep);
            if (target !== undefined) {
                edges.add(`${key} -> ${target}`);
            }
        }
    }
    return [...edges].sort();
}
