// What a stack installs through Helm and Argo CD, read from the real program and its
// generated GitOps tree: each Helm release with the exact values the program registers
// (from a run of index.ts under mocks), each Argo CD Application of the stack's tree with
// its valuesObject, and the root Application's own tree.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { catalogContext, type ChartPin, coreAddons, gitopsApps } from "../../components/catalog";
import type { PlatformConfig } from "../../components/config";
import { getPath } from "../../components/addons/helm";
import { chartSource, platformTree } from "../../components/gitops/manifests";
import { type CapturedResource, projectRoot, type RunResult, runStackFile, type StackConfig, stackFileConfig } from "../lib/harness";
import { stackConfig } from "../lib/stacks";

/** A chart the stack installs: who installs it, as which release, with which values. */
export interface ChartInstall {
    /** Catalog app name (= release name). */
    readonly app: string;
    readonly installer: "pulumi" | "argocd";
    readonly pin: ChartPin;
    readonly releaseName: string;
    readonly namespace: string;
    readonly values: Record<string, unknown>;
    /** Apps whose releases Pulumi installs before this one (their CRDs are served when it renders). */
    readonly after: readonly string[];
}

/** A stack to render: a stack file, or a stack file with its config changed (a variant). */
export interface RenderTarget {
    /** Name shown in reports, e.g. `dev` or `dev-all-apps`. */
    readonly name: string;
    /** The stack file it starts from. */
    readonly stack: string;
    readonly change?: (config: StackConfig) => void;
}

export interface StackSources {
    readonly target: RenderTarget;
    readonly config: PlatformConfig;
    /** Kubernetes version the stack's cluster runs, as Helm's --kube-version wants it. */
    readonly kubeVersion: string;
    readonly charts: readonly ChartInstall[];
    /** The root Application's tree (a kustomization), generated from the catalog for this config. */
    readonly treeDir: string;
    /** Whether treeDir is the committed platform/<stack>/ (false: a generated copy for a variant). */
    readonly committedTree: boolean;
    /** Objects the program itself registers with the cluster (not through Helm). */
    readonly programObjects: readonly Record<string, unknown>[];
    /** Every string the program marked secret, so reports can keep them out. */
    readonly secretValues: ReadonlySet<string>;
}

/** Name of the variant with every optional app on. */
export const allAppsVariant = "dev-all-apps";

/** Name of the variant of prod-aks with an Azure DNS zone: external-dns and DNS-01 through workload identity. */
export const azureDnsVariant = "prod-aks-dns";

/**
 * prod-aks with fawkes:dns on Azure DNS (the zone is the domain itself; prod's Route 53 zone is
 * a parent of its domain) and DNS-01 certificates, so both DNS providers render.
 */
export function withAzureDns(c: StackConfig): void {
    c["fawkes:dns"] = { zone: "fawkes-aks.example.com", resourceGroupName: "rg-dns" };
    c["fawkes:tls"] = { ...(c["fawkes:tls"] as Record<string, unknown>), solver: "dns01" };
}

/**
 * The stacks the checks render: every stack file, dev with every optional app on and the
 * optional ingress controller (ingress-nginx), so that every chart the catalog pins renders,
 * and prod-aks with Azure DNS.
 */
export function renderTargets(stacks: readonly string[]): RenderTarget[] {
    const allApps = Object.fromEntries(gitopsApps().map((a) => [a.name, true]));
    // With a remote repository, so the optional gitea app runs (dev's own in-cluster server
    // is Gitea from the same chart, and renders in the dev target).
    const everything = (c: StackConfig) => {
        c["fawkes:apps"] = allApps;
        c["fawkes:ingress"] = { controller: "ingress-nginx" };
        c["fawkes:gitops"] = { repoURL: "https://github.com/fawkes-platform/fawkes.git" };
    };
    return [
        ...stacks.map((stack) => ({ name: stack, stack })),
        { name: allAppsVariant, stack: "dev", change: everything },
        ...(stacks.includes("prod-aks") ? [{ name: azureDnsVariant, stack: "prod-aks", change: withAzureDns }] : []),
    ];
}

/**
 * The targets `npm test` renders: all of them but prod-aks-dns, which differs from prod-aks only
 * in cert-manager's and external-dns's values. Its Azure external-dns chart renders in
 * test/dns.spec.ts; the whole target with `npm run render -- --stack prod-aks-dns`. Rendering it
 * in the suite too would cost what keeps `npm test` under three minutes on two cores.
 */
export function suiteRenderTargets(stacks: readonly string[]): RenderTarget[] {
    return renderTargets(stacks).filter((t) => t.name !== azureDnsVariant);
}

const releaseType = "kubernetes:helm.sh/v3:Release";

/**
 * The secret values a run holds: generated passwords and keys (from the mocked providers'
 * state) and every input or output the program marks secret, except Helm release values,
 * which are secret as a whole when any part is (their secret parts come from the former).
 */
function secretStrings(resources: readonly CapturedResource[]): Set<string> {
    const out = new Set<string>();
    const collect = (v: unknown) => {
        if (typeof v === "string" && v.length >= 6) {
            out.add(v);
        } else if (v !== null && typeof v === "object") {
            Object.values(v).forEach(collect);
        }
    };
    const generated: Record<string, readonly string[]> = {
        "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
        "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
    };
    for (const r of resources) {
        (generated[r.type] ?? []).forEach((field) => collect(r.state[field]));
        if (r.type === releaseType) {
            continue;
        }
        for (const at of r.secretInputs) {
            const value = getPath(r.inputs, at.replace(/\[(\d+)\]/g, ".$1"));
            // The provider marks a whole Secret's data secret; its user name is an identifier
            // that also names repositories and owners in the clear (the Git server's admin).
            collect(r.type === "kubernetes:core/v1:Secret" && at === "stringData" ? { ...(value as Record<string, unknown>), username: undefined } : value);
        }
        for (const at of r.secretOutputs ?? []) {
            collect(getPath(r.outputs, at.replace(/\[(\d+)\]/g, ".$1")));
        }
    }
    return out;
}

/** Apps whose Releases this one waits for, directly or through other resources. */
function releasesBefore(release: CapturedResource, run: RunResult): string[] {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const found = new Set<string>();
    const visit = (urn: string) => {
        if (seen.has(urn)) {
            return;
        }
        seen.add(urn);
        const r = byUrn.get(urn);
        if (r === undefined) {
            return;
        }
        if (r.type === releaseType && r !== release) {
            found.add(String(r.inputs.name));
        }
        r.dependencies.forEach(visit);
        // A component's dependents wait for all of its children.
        run.resources.filter((c) => c.parent === urn).forEach((c) => visit(c.urn));
    };
    release.dependencies.forEach(visit);
    return [...found].sort();
}

/** Objects the program applies itself: Kubernetes resources other than Helm releases and providers. */
function appliedObjects(run: RunResult): Record<string, unknown>[] {
    return run.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== releaseType && !r.type.startsWith("pulumi:providers:"))
        .filter((r) => typeof r.inputs.apiVersion === "string" && typeof r.inputs.kind === "string")
        .filter((r) => !r.type.endsWith("Patch"))
        .map((r) => {
            const { apiVersion, kind, metadata, ...rest } = r.inputs;
            return { apiVersion, kind, metadata, ...rest };
        });
}

/** Writes a variant's generated tree to a temporary folder, as `npm run gitops` would write it. */
function writeTree(config: PlatformConfig): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fawkes-tree-${config.stack}-`));
    for (const [file, manifest] of platformTree(config)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), stringify(manifest, { lineWidth: 0 }));
    }
    return dir;
}

/** Writes the files the program seeds into its in-cluster Git server; returns the stack's tree in them. */
function writeSeededTree(run: RunResult, config: PlatformConfig): string {
    const seed = run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/gitops:GitSeed" && r.name === "git-seed");
    if (seed === undefined) {
        throw new Error(`stack ${config.stack} syncs from the in-cluster Git server, but the program seeds no tree (no git-seed resource)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fawkes-seed-${config.stack}-`));
    for (const [file, text] of Object.entries(seed.inputs.files as Record<string, string>)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    }
    return path.join(dir, config.gitops.path);
}

/** Runs the program for the target under mocks and collects what it would install. */
export async function stackSources(target: RenderTarget): Promise<StackSources> {
    const run = await runStackFile(target.stack, target.change);
    if (run.error) {
        throw run.error;
    }
    const raw = stackFileConfig(target.stack);
    target.change?.(raw);
    const config = stackConfig(target.stack, raw);
    const core = coreAddons(catalogContext(config));
    const pulumiCharts: ChartInstall[] = run.resources
        .filter((r) => r.type === releaseType)
        .map((r) => {
            const name = String(r.inputs.name);
            const app = core.find((a) => a.name === name);
            if (app === undefined) {
                throw new Error(`the program installs Helm release ${name}, which is not a core add-on of the catalog`);
            }
            return {
                app: name,
                installer: "pulumi",
                pin: { repo: String((r.inputs.repositoryOpts as { repo: string }).repo), name: String(r.inputs.chart), version: String(r.inputs.version) },
                releaseName: name,
                namespace: String(r.inputs.namespace),
                values: (r.inputs.values ?? {}) as Record<string, unknown>,
                after: releasesBefore(r, run),
            };
        });
    // What Argo CD syncs: the committed tree of a remote stack, or on a local one the very
    // files the program pushes to its in-cluster Git server.
    const committed = target.change === undefined && config.gitops.source === "remote";
    const treeDir = committed ? path.join(projectRoot, config.gitops.path) : config.gitops.source === "in-cluster" ? writeSeededTree(run, config) : writeTree(config);
    const argoCharts: ChartInstall[] = [];
    for (const [file, manifest] of platformTree(config)) {
        if (!file.startsWith("apps/") || manifest.kind !== "Application") {
            continue;
        }
        const spec = { ...(manifest.spec as { destination: { namespace: string } }), source: chartSource(manifest) };
        const name = (manifest.metadata as { name: string }).name;
        argoCharts.push({
            app: name,
            installer: "argocd",
            pin: { repo: spec.source.repoURL, name: spec.source.chart, version: spec.source.targetRevision },
            releaseName: spec.source.helm.releaseName,
            namespace: spec.destination.namespace,
            values: spec.source.helm.valuesObject,
            // Argo CD renders against the live cluster, where every core release is installed.
            after: pulumiCharts.map((c) => c.app),
        });
    }
    return {
        target,
        config,
        kubeVersion: `${config.cluster.kubernetesVersion}.0`,
        charts: [...pulumiCharts, ...argoCharts],
        treeDir,
        committedTree: committed,
        programObjects: appliedObjects(run),
        secretValues: secretStrings(run.resources),
    };
}
