// Generated facts from a stack's render, committed under generated/render/ so the program and
// the policy pack can read them at `pulumi up` without running Helm: the kinds each app's chart
// renders (namespaced and cluster-scoped) and the images the stack's pods pull, by registry.
// A test fails when a committed file differs from what the render says (a chart upgrade that
// needs a new kind, or pulls a new image, shows up as a reviewed diff).

import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../lib/harness";
import type { StackAnalysis } from "./analysis";
import { imageInventory } from "./images";

export interface AppFacts {
    /** `<chart>-<version>` the app installs. */
    readonly chart: string;
    /** `group/Kind` ("" group for the core API) of the namespaced objects its chart renders. */
    readonly namespacedKinds: readonly string[];
    readonly clusterKinds: readonly string[];
}

export interface StackFacts {
    readonly stack: string;
    readonly kubernetesVersion: string;
    readonly apps: Readonly<Record<string, AppFacts>>;
    /** Every image the stack's pods pull, with the apps that pull it. */
    readonly images: readonly { readonly image: string; readonly registry: string; readonly apps: readonly string[] }[];
    /** Distinct images per registry. */
    readonly registries: Readonly<Record<string, number>>;
}

/** Kinds the API serves cluster-wide; everything else a chart renders lives in a namespace. */
function isClusterScoped(kind: string, crdScopes: ReadonlyMap<string, string>, group: string): boolean {
    const builtIn = new Set([
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "StorageClass",
        "CSIDriver",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "APIService",
        "VolumeAttachment",
    ]);
    const scope = crdScopes.get(`${group}/${kind}`);
    return scope !== undefined ? scope === "Cluster" : builtIn.has(kind);
}

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");

export function stackFacts(analysis: StackAnalysis): StackFacts {
    const crdScopes = new Map<string, string>();
    for (const { object } of analysis.objects) {
        if (object.kind === "CustomResourceDefinition") {
            const spec = object.spec as { group: string; names: { kind: string }; scope: string };
            crdScopes.set(`${spec.group}/${spec.names.kind}`, spec.scope);
        }
    }
    const apps: Record<string, AppFacts> = {};
    for (const chart of analysis.render.charts) {
        const kinds = [...new Set(chart.objects.map((o) => `${groupOf(o.apiVersion)}/${o.kind}`))].sort();
        apps[chart.install.app] = {
            chart: `${chart.install.pin.name}-${chart.install.pin.version}`,
            namespacedKinds: kinds.filter((k) => !isClusterScoped(k.split("/")[1], crdScopes, k.split("/")[0])),
            clusterKinds: kinds.filter((k) => isClusterScoped(k.split("/")[1], crdScopes, k.split("/")[0])),
        };
    }
    const byImage = new Map<string, { registry: string; apps: Set<string> }>();
    for (const use of imageInventory(analysis)) {
        const entry = byImage.get(use.image) ?? { registry: use.registry, apps: new Set<string>() };
        entry.apps.add(use.app);
        byImage.set(use.image, entry);
    }
    const images = [...byImage].sort(([a], [b]) => a.localeCompare(b)).map(([image, e]) => ({ image, registry: e.registry, apps: [...e.apps].sort() }));
    const registries: Record<string, number> = {};
    for (const i of images) {
        registries[i.registry] = (registries[i.registry] ?? 0) + 1;
    }
    return {
        stack: analysis.render.sources.target.name,
        kubernetesVersion: analysis.render.sources.kubeVersion,
        apps: Object.fromEntries(Object.entries(apps).sort(([a], [b]) => a.localeCompare(b))),
        images,
        registries: Object.fromEntries(Object.entries(registries).sort(([a], [b]) => a.localeCompare(b))),
    };
}

export const factsDir = path.join(projectRoot, "generated", "render");
export const factsFile = (stack: string) => path.join(factsDir, `${stack}.json`);
export const factsText = (facts: StackFacts) => `${JSON.stringify(facts, null, 2)}\n`;

export function writeFacts(facts: StackFacts): string {
    fs.mkdirSync(factsDir, { recursive: true });
    const file = factsFile(facts.stack);
    fs.writeFileSync(file, factsText(facts));
    return file;
}
