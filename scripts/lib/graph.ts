// The dependency graph between the platform's core components, as a mocked run registers
// it: Helm releases, the custom resources that need their CRDs, the Vault provider and the
// Vault role. Used by the ordering tests and the README diagram.

import type { CapturedResource, RunResult } from "./harness";

const releaseType = "kubernetes:helm.sh/v3:Release";

/** A core component's stable label, such as `release:vault` or `ClusterPolicy:disallow-latest-tag`; undefined for others. */
function nodeKey(r: CapturedResource): string | undefined {
    const [pkg, module, kind] = r.type.split(":");
    if (r.type === releaseType) {
        return `release:${String(r.inputs.name)}`;
    } else if (pkg === "kubernetes" && module.includes(".") && !module.startsWith("helm.sh") && !module.startsWith("storage.k8s.io")) {
        return `${kind}:${(r.inputs.metadata as { name: string }).name}`;
    } else if (r.type === "pulumi:providers:vault") {
        return "vault-provider";
    } else if (r.type === "vault:kubernetes/authBackendRole:AuthBackendRole") {
        return "vault-role";
    }
    return undefined;
}

/**
 * Core components keyed by their label. Objects of one kind and name in several namespaces
 * (the SecretStore `vault` of each app namespace) and the Vault roles are one node each.
 */
export function coreNodes(run: RunResult): Map<string, CapturedResource> {
    const nodes = new Map<string, CapturedResource>();
    for (const r of run.resources) {
        const key = nodeKey(r);
        if (key !== undefined) {
            nodes.set(key, r);
        }
    }
    return nodes;
}

/** Edges `A -> B` between core components, where A waits for B (a dependency or its provider); sorted. */
export function coreEdges(run: RunResult): string[] {
    // Every resource of a node counts: an edge of any one SecretStore is an edge of the node.
    const members = run.resources.flatMap((r) => {
        const key = nodeKey(r);
        return key === undefined ? [] : [{ key, r }];
    });
    const label = new Map(members.map(({ key, r }) => [r.urn, key]));
    const edges = new Set<string>();
    for (const { key, r } of members) {
        for (const dep of [...r.dependencies, r.provider]) {
            const target = label.get(dep);
            if (target !== undefined) {
                edges.add(`${key} -> ${target}`);
            }
        }
    }
    return [...edges].sort();
}
