// The one place that reads stack configuration. `loadConfig` reads the raw values through
// `pulumi.Config`; `parseConfig` validates them and returns a frozen, typed PlatformConfig,
// or throws one ConfigError that lists every problem, before any resource is registered.

import * as pulumi from "@pulumi/pulumi";
import { type CatalogContext, catalogAppNames, coreAddons, enabledGitopsApps } from "./catalog";
import {
    type AcmeSolver,
    acmeSolvers,
    type AksClusterConfig,
    type ApiAccess,
    apiAccessModes,
    type ClusterConfig,
    type ClusterProvider,
    clusterProviders,
    type EksClusterConfig,
    ingressControllers,
    type GitCredentialKind,
    internalApps,
    type InternalExposure,
    type KindClusterConfig,
    type KindHostPorts,
    kubeloginModes,
    type DnsConfig,
    eksVpcCidr,
    type PlatformConfig,
    type PoolConfig,
    type RemoteGitSource,
    tlsIssuers,
} from "./config-types";
import { type CloudProvider, instanceTypes, lookupInstanceType } from "./instance-types";
import { kubernetesVersions } from "./kubernetes-versions";
import {
    booleanValue,
    deepFreeze,
    isDnsLabel,
    isDnsName,
    isIpv4Cidr,
    isPlainObject,
    numberIn,
    oneOf,
    parseObject,
    type PlainObject,
    Problems,
    rejectUnknownFields,
    stringMatching,
} from "./validation";

export * from "./config-types";

/** The project's config namespace (the `name` in Pulumi.yaml). */
export const configNamespace = "fawkes";

/**
 * Defaults for keys whose default does not depend on the stack. Pulumi.yaml declares the
 * same values (a test keeps the two equal); the program applies them itself too, because
 * the CLI applies Pulumi.yaml defaults but a test harness or the Automation API may not.
 */
export const configDefaults = {
    domain: "fawkes.localtest.me",
    tls: { issuer: "local-ca" },
    ingress: { controller: "traefik" },
    gitops: { targetRevision: "main" },
    budget: { targetUtilization: 0.7 },
    apps: {},
    ha: false,
} as const;

/** Pool layout of the reference platform: 4 worker nodes in the cloud, 3 + control plane on kind. */
const referencePools: readonly { name: string; count: number }[] = [
    { name: "platform", count: 2 },
    { name: "ci", count: 1 },
    { name: "apps", count: 1 },
];
const kindNode = { cpu: 4, memoryGiB: 16 };
const defaultInstanceType: Readonly<Record<CloudProvider, string>> = { eks: "m5.xlarge", aks: "Standard_D4s_v5" };
const defaultDiskGiB = 100;
const diskRange: Readonly<Record<CloudProvider, { min: number; max: number }>> = {
    eks: { min: 20, max: 16384 },
    aks: { min: 30, max: 2048 },
};

/** Raw values as Pulumi hands them to the program: strings, structured ones as JSON. */
export interface RawConfig {
    readonly cluster?: string;
    readonly domain?: string;
    readonly tls?: string;
    readonly dns?: string;
    readonly ingress?: string;
    readonly gitops?: string;
    /** Whether `fawkes:gitops` holds a secret (its credentials must be one). */
    readonly gitopsIsSecret?: boolean;
    readonly budget?: string;
    readonly apps?: string;
    readonly ha?: string;
    /** Secret `fawkes:vaultToken`; only whether it is set matters to validation. */
    readonly vaultToken?: pulumi.Output<string>;
    /** Secret `fawkes:dockerHubCredentials`, `{"username": ..., "token": ...}` for the docker.io image cache. */
    readonly dockerHubCredentials?: pulumi.Output<string>;
    /** `aws:region`, the fallback for `fawkes:cluster.region`. */
    readonly awsRegion?: string;
    /** `azure-native:location`, the fallback for `fawkes:cluster.location`. */
    readonly azureLocation?: string;
}

/** Reads the stack's config through pulumi.Config and validates it. */
export function loadConfig(): PlatformConfig {
    const fawkes = new pulumi.Config(configNamespace);
    const raw: RawConfig = {
        cluster: fawkes.get("cluster"),
        domain: fawkes.get("domain"),
        tls: fawkes.get("tls"),
        dns: fawkes.get("dns"),
        ingress: fawkes.get("ingress"),
        // Read once as plain JSON for its shape; parseConfig wraps the credentials in a secret at once.
        gitops: fawkes.get("gitops"),
        gitopsIsSecret: isSecretConfig(`${configNamespace}:gitops`),
        budget: fawkes.get("budget"),
        apps: fawkes.get("apps"),
        ha: fawkes.get("ha"),
        vaultToken: fawkes.getSecret("vaultToken"),
        dockerHubCredentials: fawkes.getSecret("dockerHubCredentials"),
        awsRegion: new pulumi.Config("aws").get("region"),
        azureLocation: new pulumi.Config("azure-native").get("location"),
    };
    return parseConfig(raw, pulumi.getStack());
}

/**
 * Whether a key is stored encrypted. The SDK exports this from its runtime without a type;
 * where a harness lacks it, the key counts as secret (no false alarm).
 */
function isSecretConfig(key: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    return runtime.isConfigSecret?.(key) ?? true;
}

/** Validates raw config for `stack`. Pure: no Pulumi runtime needed. */
export function parseConfig(raw: RawConfig, stack: string): PlatformConfig {
    const problems = new Problems();
    const warnings: string[] = [];

    const ha = booleanValue(problems, "fawkes:ha", raw.ha, configDefaults.ha);
    const cluster = parseCluster(problems, warnings, raw, stack, ha);
    const domain =
        raw.domain === undefined
            ? configDefaults.domain
            : stringMatching(problems, "fawkes:domain", raw.domain, isDnsName, "a lower-case DNS name with at least two labels, e.g. fawkes.example.com");
    const dns = parseDns(problems, raw.dns, stack, domain, cluster?.provider);
    const tls = parseTls(problems, raw.tls, domain, dns);
    const ingress = parseIngress(problems, warnings, raw.ingress, cluster?.provider);
    const gitops = parseGitops(problems, raw, stack, cluster?.provider);
    const budget = parseBudget(problems, raw.budget);
    const apps = parseApps(problems, raw.apps);
    if (cluster?.provider === "kind" && ha) {
        problems.add("fawkes:ha", true, "false on kind: one laptop cannot host three-way replicated add-ons; use an eks or aks stack for ha");
    }
    if (raw.vaultToken !== undefined && !ha) {
        problems.add("fawkes:vaultToken", "[secret]", "unset: it is for ha stacks, after Vault's one-time init; dev Vault uses its generated root token");
    }
    if (raw.dockerHubCredentials !== undefined && cluster !== undefined && !(cluster.provider === "kind" && cluster.imageCache)) {
        problems.add("fawkes:dockerHubCredentials", "[secret]", "unset: only a kind stack's docker.io image cache (fawkes:cluster.imageCache, on by default) uses it");
    }
    if (gitops?.source === "in-cluster" && apps?.gitea === true) {
        // One Gitea, not two: the in-cluster Git source already is one, with a UI at git.<domain>.
        problems.add(
            "fawkes:apps.gitea",
            true,
            "false on a stack without fawkes:gitops.repoURL: its in-cluster Git server is already Gitea (https://git.<domain>), for the platform's tree and for your own repositories; set fawkes:gitops.repoURL to run Gitea as an app instead",
        );
    }
    if (cluster !== undefined && ingress !== undefined && apps !== undefined) {
        checkCatalogPools(problems, cluster, { provider: cluster.provider, ha, ingressController: ingress.controller, gitServer: gitops?.source === "in-cluster", dns: dns?.provider }, apps);
    }
    if (apps !== undefined) {
        checkAppDependencies(problems, apps);
    }

    problems.throwIfAny();
    const config: PlatformConfig = {
        stack,
        cluster: cluster!,
        domain: domain!,
        tls: tls!,
        ...(dns ? { dns } : {}),
        ingress: ingress!,
        gitops: gitops!,
        budget: budget!,
        apps: apps!,
        ha,
        vaultToken: raw.vaultToken,
        dockerHubCredentials: raw.dockerHubCredentials,
        warnings,
    };
    return deepFreeze(config);
}

/** Every pool the catalog places an enabled app on must exist in the cluster. */
function checkCatalogPools(problems: Problems, cluster: ClusterConfig, ctx: CatalogContext, apps: Readonly<Record<string, boolean>>): void {
    const available = new Set(cluster.pools.map((p) => p.name));
    if (cluster.provider === "kind") {
        available.add("control-plane");
    }
    const needed = [...new Set([...coreAddons(ctx), ...enabledGitopsApps(apps)].map((a) => a.pool))];
    const missing = needed.filter((p) => !available.has(p));
    if (missing.length > 0) {
        problems.add(
            "fawkes:cluster.pools",
            cluster.pools.map((p) => p.name),
            `pools that include ${needed.filter((p) => p !== "control-plane").join(", ")}: the catalog places enabled apps on them (missing: ${missing.join(", ")}; or switch those apps off in fawkes:apps)`,
        );
    }
}

/** An enabled app needs every app it depends on (its operator, its database, its log store) enabled too. */
function checkAppDependencies(problems: Problems, apps: Readonly<Record<string, boolean>>): void {
    const enabled = enabledGitopsApps(apps);
    const names = new Set(enabled.map((a) => a.name));
    for (const app of enabled) {
        for (const dependency of app.dependsOn.filter((d) => !names.has(d))) {
            problems.add(`fawkes:apps.${dependency}`, apps[dependency] ?? false, `true, or switch off ${app.name} too: ${app.name} depends on ${dependency}`);
        }
    }
}

/** `fawkes-<stack>`, made into a valid cluster name whatever the stack is called. */
export function defaultClusterName(stack: string): string {
    const cleaned = `fawkes-${stack}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .slice(0, 40)
        .replace(/^-+|-+$/g, "");
    return cleaned === "" ? "fawkes" : cleaned;
}

const commonClusterFields = ["provider", "name", "kubernetesVersion", "pools"];
const clusterFields: Readonly<Record<ClusterProvider, readonly string[]>> = {
    kind: [...commonClusterFields, "imageCache", "hostPorts"],
    eks: [...commonClusterFields, "region", "apiAccess", "availabilityZones", "admins"],
    aks: [...commonClusterFields, "location", "resourceGroupName", "admins", "apiAccess", "kubelogin"],
};

function parseCluster(problems: Problems, warnings: string[], raw: RawConfig, stack: string, ha: boolean): ClusterConfig | undefined {
    const key = "fawkes:cluster";
    const obj = parseObject(problems, key, raw.cluster);
    if (obj === undefined) {
        if (raw.cluster === undefined) {
            problems.add(`${key}.provider`, undefined, `one of ${clusterProviders.join(" | ")} (required; e.g. pulumi config set --path ${key}.provider kind)`);
        }
        return undefined;
    }
    const provider = oneOf(problems, `${key}.provider`, obj.provider, clusterProviders, undefined);
    if (provider === undefined) {
        return undefined;
    }
    rejectFieldsOfOtherBackends(problems, key, obj, provider);

    const name =
        obj.name === undefined
            ? defaultClusterName(stack)
            : stringMatching(problems, `${key}.name`, obj.name, (s) => isDnsLabel(s, 40), "a DNS-1123 label (lower-case letters, digits and '-') of at most 40 characters");
    const kubernetesVersion = parseKubernetesVersion(problems, `${key}.kubernetesVersion`, obj.kubernetesVersion, provider);
    const pools = parsePools(problems, `${key}.pools`, obj.pools, provider);
    const base = { name: name!, kubernetesVersion: kubernetesVersion!, pools };

    switch (provider) {
        case "kind": {
            const imageCache = booleanValue(problems, `${key}.imageCache`, obj.imageCache, true);
            const hostPorts = parseHostPorts(problems, `${key}.hostPorts`, obj.hostPorts);
            const kind: KindClusterConfig = { provider, ...base, controlPlane: { ...kindNode }, imageCache, hostPorts: hostPorts! };
            return kind;
        }
        case "eks":
            return parseEks(problems, warnings, key, obj, raw, ha, base);
        case "aks":
            return parseAks(problems, warnings, key, obj, raw, ha, base);
    }
}

const defaultHostPorts: KindHostPorts = { http: 80, https: 443, listenAddress: "127.0.0.1" };
const ipv4 = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/;

function parseHostPorts(problems: Problems, key: string, value: unknown): KindHostPorts | undefined {
    if (value === undefined) {
        return defaultHostPorts;
    }
    if (!isPlainObject(value)) {
        problems.add(key, value, "{ http, https, listenAddress }, e.g. { http: 8080, https: 8443 } where 80/443 are taken or rootless Docker cannot bind them");
        return undefined;
    }
    rejectUnknownFields(problems, key, value, ["http", "https", "listenAddress"]);
    const port = (field: "http" | "https") =>
        value[field] === undefined ? defaultHostPorts[field] : numberIn(problems, `${key}.${field}`, value[field], { min: 1, max: 65535, integer: true, describe: "a TCP port from 1 to 65535" });
    const http = port("http");
    const https = port("https");
    const listenAddress =
        value.listenAddress === undefined
            ? defaultHostPorts.listenAddress
            : stringMatching(problems, `${key}.listenAddress`, value.listenAddress, (s) => ipv4.test(s), "an IPv4 address of this machine, 127.0.0.1 (default) or 0.0.0.0 to answer on every interface");
    if (http !== undefined && http === https) {
        problems.add(`${key}.https`, https, `a port other than http's (${http})`);
        return undefined;
    }
    return http === undefined || https === undefined || listenAddress === undefined ? undefined : { http, https, listenAddress };
}

function rejectFieldsOfOtherBackends(problems: Problems, key: string, obj: PlainObject, provider: ClusterProvider): void {
    const own = clusterFields[provider];
    for (const field of Object.keys(obj)) {
        if (own.includes(field)) {
            continue;
        }
        if (field === "endpointPublicAccessCidrs") {
            // The key of earlier versions: say where its meaning went.
            problems.add(`${key}.${field}`, obj[field], `nothing: it became ${key}.apiAccess, { mode: public, cidrs: [...] } or { mode: private }`);
            continue;
        }
        const owners = clusterProviders.filter((p) => clusterFields[p].includes(field));
        problems.add(
            `${key}.${field}`,
            obj[field],
            owners.length > 0
                ? `nothing: ${field} applies to provider ${owners.join("/")} only, and this stack's provider is ${provider}`
                : `no such field; known fields for provider ${provider}: ${own.join(", ")}`,
        );
    }
}

function parseKubernetesVersion(problems: Problems, key: string, value: unknown, provider: ClusterProvider): string | undefined {
    const window = kubernetesVersions[provider];
    if (value === undefined) {
        return window.defaultVersion;
    }
    if (typeof value === "number") {
        problems.add(key, value, `a quoted string such as "${window.defaultVersion}" (YAML reads 1.30 as the number 1.3); supported on ${provider}: ${window.supported.join(", ")}`);
        return undefined;
    }
    if (typeof value !== "string" || !window.supported.includes(value)) {
        problems.add(key, value, `a "1.N" version supported on ${provider}: ${window.supported.join(", ")}`);
        return undefined;
    }
    return value;
}

function parsePools(problems: Problems, key: string, value: unknown, provider: ClusterProvider): PoolConfig[] {
    if (value === undefined) {
        return referencePools.map((p) => defaultPool(provider, p.name, provider === "kind" ? 1 : p.count));
    }
    if (!Array.isArray(value) || value.length === 0) {
        problems.add(key, value, "a non-empty list of pools: { name, count, instanceType?, cpu?, memoryGiB?, diskGiB? }");
        return [];
    }
    const seen = new Set<string>();
    const pools: PoolConfig[] = [];
    value.forEach((item, i) => {
        const pool = parsePool(problems, `${key}[${i}]`, item, provider, seen);
        if (pool !== undefined) {
            pools.push(pool);
        }
    });
    return pools;
}

function defaultPool(provider: ClusterProvider, name: string, count: number): PoolConfig {
    if (provider === "kind") {
        return { name, count, ...kindNode, arch: "x86_64" };
    }
    const instanceType = defaultInstanceType[provider];
    const spec = lookupInstanceType(provider, instanceType)!;
    return { name, count, instanceType, cpu: spec.cpu, memoryGiB: spec.memoryGiB, diskGiB: defaultDiskGiB, arch: spec.arch };
}

const poolFields: Readonly<Record<ClusterProvider, readonly string[]>> = {
    kind: ["name", "count", "cpu", "memoryGiB"],
    eks: ["name", "count", "instanceType", "cpu", "memoryGiB", "diskGiB"],
    aks: ["name", "count", "instanceType", "cpu", "memoryGiB", "diskGiB"],
};

function parsePoolName(problems: Problems, key: string, value: unknown, provider: ClusterProvider, seen: Set<string>): string | undefined {
    // AKS agent pool names are stricter than Kubernetes labels: a letter first, then
    // lower-case letters and digits only, 12 characters at most for Linux pools.
    const name =
        provider === "aks"
            ? stringMatching(problems, key, value, (s) => /^[a-z][a-z0-9]{0,11}$/.test(s), "an AKS pool name: a lower-case letter, then lower-case letters or digits, 12 characters at most")
            : stringMatching(problems, key, value, (s) => isDnsLabel(s, 40), "a DNS-1123 label of at most 40 characters");
    if (name === undefined) {
        return undefined;
    }
    if (provider === "kind" && name === "control-plane") {
        problems.add(key, value, "any other name: kind's control-plane node is added by the program");
        return undefined;
    }
    if (seen.has(name)) {
        problems.add(key, value, "a name not used by another pool of this cluster");
        return undefined;
    }
    seen.add(name);
    return name;
}

function parsePool(problems: Problems, key: string, item: unknown, provider: ClusterProvider, seen: Set<string>): PoolConfig | undefined {
    if (!isPlainObject(item)) {
        problems.add(key, item, "an object { name, count, instanceType?, cpu?, memoryGiB?, diskGiB? }");
        return undefined;
    }
    const before = problems.count;
    for (const field of Object.keys(item)) {
        if (!poolFields[provider].includes(field)) {
            problems.add(
                `${key}.${field}`,
                item[field],
                poolFields.eks.includes(field)
                    ? `nothing: ${field} applies to eks and aks pools; kind nodes are containers on this machine`
                    : `no such field; known pool fields: ${poolFields[provider].join(", ")}`,
            );
        }
    }
    const name = parsePoolName(problems, `${key}.name`, item.name, provider, seen);
    const count = numberIn(problems, `${key}.count`, item.count, { min: 1, max: 100, integer: true, describe: "a whole number of nodes from 1 to 100" });
    const cpu = item.cpu === undefined ? undefined : numberIn(problems, `${key}.cpu`, item.cpu, { min: 1, max: 448, integer: true, describe: "a whole number of vCPUs per node, at least 1" });
    const memoryGiB =
        item.memoryGiB === undefined ? undefined : numberIn(problems, `${key}.memoryGiB`, item.memoryGiB, { min: 1, max: 24576, describe: "memory per node in GiB, at least 1" });

    if (provider === "kind") {
        return problems.count > before ? undefined : { name: name!, count: count!, cpu: cpu ?? kindNode.cpu, memoryGiB: memoryGiB ?? kindNode.memoryGiB, arch: "x86_64" };
    }

    const range = diskRange[provider];
    const diskGiB =
        item.diskGiB === undefined
            ? defaultDiskGiB
            : numberIn(problems, `${key}.diskGiB`, item.diskGiB, { ...range, integer: true, describe: `a whole number of GiB from ${range.min} to ${range.max}` });
    const instanceType = item.instanceType ?? defaultInstanceType[provider];
    const sized = sizeInstance(problems, key, provider, instanceType, cpu, memoryGiB);
    if (problems.count > before || sized === undefined) {
        return undefined;
    }
    return { name: name!, count: count!, instanceType: instanceType as string, diskGiB: diskGiB!, ...sized };
}

/** cpu/memory come from the instance table; explicit values must agree with it or stand in for an unknown type. */
function sizeInstance(
    problems: Problems,
    key: string,
    provider: CloudProvider,
    instanceType: unknown,
    cpu: number | undefined,
    memoryGiB: number | undefined,
): Pick<PoolConfig, "cpu" | "memoryGiB" | "arch"> | undefined {
    const pattern = provider === "eks" ? /^[a-z][a-z0-9-]*\.[a-z0-9]+$/ : /^Standard_[A-Za-z0-9_]+$/;
    const example = defaultInstanceType[provider];
    if (typeof instanceType !== "string" || !pattern.test(instanceType)) {
        problems.add(`${key}.instanceType`, instanceType, `an ${provider === "eks" ? "EC2 instance type" : "Azure VM size"} such as ${example}`);
        return undefined;
    }
    const known = lookupInstanceType(provider, instanceType);
    if (known === undefined) {
        if (cpu === undefined || memoryGiB === undefined) {
            problems.add(
                `${key}.instanceType`,
                instanceType,
                `a type in the built-in table for ${provider} (${Object.keys(instanceTypes[provider]).join(", ")}), or give cpu and memoryGiB for this one`,
            );
            return undefined;
        }
        return { cpu, memoryGiB, arch: "x86_64" };
    }
    if (cpu !== undefined && cpu !== known.cpu) {
        problems.add(`${key}.cpu`, cpu, `${known.cpu} (what ${instanceType} has), or leave cpu unset`);
    }
    if (memoryGiB !== undefined && memoryGiB !== known.memoryGiB) {
        problems.add(`${key}.memoryGiB`, memoryGiB, `${known.memoryGiB} (what ${instanceType} has), or leave memoryGiB unset`);
    }
    return { cpu: known.cpu, memoryGiB: known.memoryGiB, arch: known.arch };
}

/** A field of the cluster object that may instead come from a provider's own config key. */
function fromEitherKey(problems: Problems, key: string, own: unknown, fallbackKey: string, fallback: string | undefined): unknown {
    if (own !== undefined && fallback !== undefined && own !== fallback) {
        problems.add(key, own, `the same value as ${fallbackKey} (${JSON.stringify(fallback)}), or only one of the two`);
    }
    return own ?? fallback;
}

type ClusterBaseFields = Pick<ClusterConfig, "name" | "kubernetesVersion" | "pools">;

function parseEks(
    problems: Problems,
    warnings: string[],
    key: string,
    obj: PlainObject,
    raw: RawConfig,
    ha: boolean,
    base: ClusterBaseFields,
): EksClusterConfig | undefined {
    const regionValue = fromEitherKey(problems, `${key}.region`, obj.region, "aws:region", raw.awsRegion);
    const region = stringMatching(
        problems,
        `${key}.region`,
        regionValue,
        (s) => /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/.test(s),
        "an AWS region such as eu-west-1 (required for eks; or set aws:region)",
    );

    const apiAccess = parseApiAccess(problems, warnings, `${key}.apiAccess`, obj.apiAccess, "eks", ha);
    let zones: string[] | undefined;
    const zoneKey = `${key}.availabilityZones`;
    if (obj.availabilityZones !== undefined) {
        const value = obj.availabilityZones;
        const inRegion = (z: unknown) => typeof z === "string" && region !== undefined && new RegExp(`^${region}[a-z]$`).test(z);
        if (!Array.isArray(value) || value.length < 2 || new Set(value).size !== value.length || !value.every(inRegion)) {
            problems.add(zoneKey, value, `at least two distinct availability zones of the region, such as ["${region ?? "eu-west-1"}a", "${region ?? "eu-west-1"}b"]`);
        } else {
            zones = value as string[];
        }
    }
    const admins = parseEksAdmins(problems, `${key}.admins`, obj.admins);
    if (region === undefined || admins === undefined || apiAccess === undefined) {
        return undefined;
    }
    return { provider: "eks", ...base, region, apiAccess, availabilityZones: zones, admins };
}

/** The two reach paths, named in the message when neither is declared. */
const apiAccessShapes = (network: string) =>
    `{ mode: public, cidrs: ["198.51.100.0/24", ...] } (the endpoint admits only these ranges; the deploy workflow adds its runner's address for its run, ` +
    `a laptop does the same with deployerCidr) or { mode: private, runnerCidrs?: [...] } (no public endpoint: pulumi up runs inside the ${network}, ` +
    "on a self-hosted runner or a Pulumi Deployments agent); see the README, 'Reaching the cluster'";

const cidrList = (problems: Problems, key: string, value: unknown, what: string): string[] | undefined => {
    if (!Array.isArray(value) || !value.every((c) => typeof c === "string" && isIpv4Cidr(c)) || new Set(value).size !== value.length) {
        problems.add(key, value, `a list of distinct IPv4 CIDRs (${what}), such as ["198.51.100.0/24"]`);
        return undefined;
    }
    return value as string[];
};

/** fawkes:cluster.apiAccess: required on eks and aks, so every stack declares how it reaches its API server. */
function parseApiAccess(problems: Problems, warnings: string[], key: string, value: unknown, provider: "eks" | "aks", ha: boolean): ApiAccess | undefined {
    const network = provider === "eks" ? "cluster's VPC" : "cluster's virtual network";
    if (!isPlainObject(value)) {
        problems.add(key, value, `how pulumi up reaches the API server (required on ${provider}): ${apiAccessShapes(network)}`);
        return undefined;
    }
    const mode = oneOf(problems, `${key}.mode`, value.mode, apiAccessModes, undefined);
    if (mode === undefined) {
        return undefined;
    }
    if (mode === "private") {
        rejectUnknownFields(problems, key, value, ["mode", "runnerCidrs"]);
        if (provider === "aks" && value.runnerCidrs !== undefined) {
            problems.add(`${key}.runnerCidrs`, value.runnerCidrs, "unset on aks: a private AKS API server is reached through its private endpoint from the cluster's virtual network or a peered one, which its network rules admit already");
            return undefined;
        }
        // EKS: the VPC itself unless told otherwise (a peered runner network, a VPN range).
        const runnerCidrs = value.runnerCidrs === undefined ? (provider === "eks" ? [eksVpcCidr] : []) : cidrList(problems, `${key}.runnerCidrs`, value.runnerCidrs, "networks whose runners reach the private endpoint on 443");
        if (provider === "eks" && runnerCidrs?.length === 0) {
            // A private endpoint no network may reach: nothing could run pulumi up against it.
            problems.add(`${key}.runnerCidrs`, [], `at least one network (unset: the VPC, ${eksVpcCidr}), or the public mode: ${apiAccessShapes(network)}`);
            return undefined;
        }
        return runnerCidrs === undefined ? undefined : { mode, runnerCidrs };
    }
    rejectUnknownFields(problems, key, value, ["mode", "cidrs", "deployerCidr"]);
    const cidrs = value.cidrs === undefined ? [] : cidrList(problems, `${key}.cidrs`, value.cidrs, "the team's egress ranges the public endpoint admits");
    let deployerCidr: string | undefined;
    if (value.deployerCidr !== undefined) {
        deployerCidr = stringMatching(
            problems,
            `${key}.deployerCidr`,
            value.deployerCidr,
            (s) => isIpv4Cidr(s) && s.endsWith("/32"),
            "one address as a /32, e.g. 198.51.100.7/32: the machine running this update (set for one run, see the README)",
        );
    }
    if (cidrs === undefined || (value.deployerCidr !== undefined && deployerCidr === undefined)) {
        return undefined;
    }
    if (cidrs.length === 0 && deployerCidr === undefined) {
        problems.add(`${key}.cidrs`, [], `at least one range, or a deployerCidr for this run: a public endpoint admitting nobody cannot be reached (${apiAccessShapes(network)})`);
        return undefined;
    }
    if (cidrs.includes("0.0.0.0/0")) {
        if (ha) {
            problems.add(`${key}.cidrs`, cidrs, "CIDRs narrower than 0.0.0.0/0: an ha stack must not open its API server to the whole internet");
            return undefined;
        }
        warnings.push(`${key}.cidrs includes 0.0.0.0/0: the ${provider.toUpperCase()} API server is reachable from the whole internet`);
    }
    return deployerCidr === undefined ? { mode, cidrs } : { mode, cidrs, deployerCidr };
}

const iamPrincipalArn = /^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;
const assumedRoleArn = /^arn:(aws(?:-[a-z]+)*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+$/;

/** IAM role/user ARNs; an assumed-role session ARN is refused with the role ARN to use. */
function parseEksAdmins(problems: Problems, key: string, value: unknown): string[] | undefined {
    if (value === undefined) {
        return [];
    }
    if (!Array.isArray(value)) {
        problems.add(key, value, "a list of IAM role or user ARNs, e.g. [\"arn:aws:iam::123456789012:role/platform-admins\"]");
        return undefined;
    }
    let ok = true;
    value.forEach((arn: unknown, i) => {
        const session = typeof arn === "string" ? assumedRoleArn.exec(arn) : null;
        if (session !== null) {
            problems.add(
                `${key}[${i}]`,
                arn,
                `the IAM role ARN, arn:${session[1]}:iam::${session[2]}:role/${session[3]} (with the role's path, if it has one): an assumed-role session ARN names one session, and access entries take the role`,
            );
            ok = false;
        } else if (typeof arn !== "string" || !iamPrincipalArn.test(arn)) {
            problems.add(`${key}[${i}]`, arn, "an IAM role or user ARN, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>");
            ok = false;
        }
    });
    if (ok && new Set(value).size !== value.length) {
        problems.add(key, value, "each principal once: an access entry per principal");
        ok = false;
    }
    return ok ? (value as string[]) : undefined;
}

const entraObjectId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseAksAdmins(problems: Problems, key: string, value: unknown, ha: boolean): string[] | undefined {
    if (value === undefined) {
        return [];
    }
    if (!Array.isArray(value) || !value.every((id) => typeof id === "string" && entraObjectId.test(id)) || new Set(value).size !== value.length) {
        problems.add(key, value, "a list of distinct Entra object ids (GUIDs) of users, groups or service principals");
        return undefined;
    }
    if (!ha && value.length > 0) {
        problems.add(key, value, "unset, or fawkes:ha true: only an ha AKS cluster uses Azure RBAC, where these role assignments grant access");
        return undefined;
    }
    return value as string[];
}

function parseAks(problems: Problems, warnings: string[], key: string, obj: PlainObject, raw: RawConfig, ha: boolean, base: ClusterBaseFields): AksClusterConfig | undefined {
    const locationValue = fromEitherKey(problems, `${key}.location`, obj.location, "azure-native:location", raw.azureLocation);
    const location = stringMatching(
        problems,
        `${key}.location`,
        locationValue,
        (s) => /^[a-z][a-z0-9]+$/.test(s),
        "an Azure location such as westeurope (required for aks; or set azure-native:location)",
    );
    const resourceGroupName =
        obj.resourceGroupName === undefined
            ? `rg-${base.name}`
            : stringMatching(
                  problems,
                  `${key}.resourceGroupName`,
                  obj.resourceGroupName,
                  (s) => /^[-\w.()]{1,90}$/.test(s) && !s.endsWith("."),
                  "an Azure resource group name: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
              );
    const admins = parseAksAdmins(problems, `${key}.admins`, obj.admins, ha);
    const apiAccess = parseApiAccess(problems, warnings, `${key}.apiAccess`, obj.apiAccess, "aks", ha);
    const kubelogin = oneOf(problems, `${key}.kubelogin`, obj.kubelogin, kubeloginModes, "azurecli");
    if (obj.kubelogin !== undefined && !ha) {
        problems.add(`${key}.kubelogin`, obj.kubelogin, "unset, or fawkes:ha true: only an ha (Entra-only) AKS cluster hands out a kubelogin kubeconfig");
    }
    if (location === undefined || resourceGroupName === undefined || admins === undefined || apiAccess === undefined || kubelogin === undefined) {
        return undefined;
    }
    return { provider: "aks", ...base, location, resourceGroupName, admins, apiAccess, kubelogin };
}

/** Domains that resolve only on this machine: ACME servers can never reach them. */
function isLocalOnlyDomain(domain: string): boolean {
    return /(^|\.)(localtest\.me|localhost|local|internal|test)$/.test(domain);
}

function parseTls(problems: Problems, rawValue: string | undefined, domain: string | undefined, dns: DnsConfig | undefined | null): PlatformConfig["tls"] | undefined {
    const key = "fawkes:tls";
    const obj = parseObject(problems, key, rawValue) ?? {};
    rejectUnknownFields(problems, key, obj, ["issuer", "email", "solver"]);
    const issuer = oneOf(problems, `${key}.issuer`, obj.issuer, tlsIssuers, configDefaults.tls.issuer);
    const solver: AcmeSolver | undefined = oneOf(problems, `${key}.solver`, obj.solver, acmeSolvers, "http01");
    if (issuer === "local-ca" && obj.solver !== undefined) {
        problems.add(`${key}.solver`, obj.solver, "unset with the local-ca issuer: it signs certificates itself, with no ACME challenge to solve");
    }
    if (solver === "dns01" && dns === undefined) {
        problems.add(`${key}.solver`, solver, "http01, or set fawkes:dns: DNS-01 challenges are answered in the zone fawkes:dns names");
    }
    if (issuer === undefined || solver === undefined || issuer === "local-ca") {
        return issuer === undefined ? undefined : { issuer, solver: "http01" };
    }
    if (domain !== undefined && isLocalOnlyDomain(domain)) {
        problems.add(`${key}.issuer`, issuer, `local-ca: the domain ${domain} is not publicly resolvable, so Let's Encrypt cannot validate it`);
    }
    const email = stringMatching(
        problems,
        `${key}.email`,
        obj.email,
        (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
        `an e-mail address for the ACME account (required when issuer is ${issuer})`,
    );
    return email === undefined ? undefined : { issuer, email, solver };
}

const route53ZoneId = /^Z[A-Z0-9]{1,31}$/;

/** fawkes:dns: undefined when unset, null when invalid (the problem is recorded). */
function parseDns(problems: Problems, rawValue: string | undefined, stack: string, domain: string | undefined, provider: ClusterProvider | undefined): DnsConfig | undefined | null {
    const key = "fawkes:dns";
    if (rawValue === undefined) {
        return undefined;
    }
    const obj = parseObject(problems, key, rawValue);
    if (obj === undefined) {
        return null;
    }
    if (provider === "kind") {
        problems.add(key, obj, "unset on kind: the local domain resolves to 127.0.0.1 without records (fawkes.localtest.me), and external-dns runs on eks (Route 53) and aks (Azure DNS)");
        return null;
    }
    const before = problems.count;
    const own = provider === "aks" ? ["zone", "resourceGroupName", "ownerId"] : ["zone", "zoneId", "ownerId"];
    rejectUnknownFields(problems, key, obj, own);
    const zone = stringMatching(problems, `${key}.zone`, obj.zone, isDnsName, "the DNS zone's name, e.g. example.com (required)");
    if (zone !== undefined && domain !== undefined && domain !== zone && !domain.endsWith(`.${zone}`)) {
        problems.add(`${key}.zone`, zone, `a zone that contains fawkes:domain ${domain}: ${domain} itself or a parent of it`);
    }
    const ownerId =
        obj.ownerId === undefined
            ? // fawkes-<stack>, made a valid owner id whatever the stack is called.
              defaultClusterName(stack)
            : stringMatching(problems, `${key}.ownerId`, obj.ownerId, (s) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(s), "a TXT owner id of lower-case letters, digits and '-' (default fawkes-<stack>), unique per cluster writing to the zone");
    if (provider === "aks") {
        const resourceGroupName = stringMatching(problems, `${key}.resourceGroupName`, obj.resourceGroupName, (s) => /^[-\w.()]{1,90}$/.test(s) && !s.endsWith("."), "the resource group of the Azure DNS zone (required on aks)");
        return problems.count > before ? null : { provider: "azure-dns", zone: zone!, ownerId: ownerId!, resourceGroupName: resourceGroupName! };
    }
    const zoneId = stringMatching(problems, `${key}.zoneId`, obj.zoneId, (s) => route53ZoneId.test(s), "the Route 53 hosted zone id, e.g. Z0123456789ABCDEFGHIJ (required on eks: the IAM policy is scoped to this zone; `aws route53 list-hosted-zones-by-name --dns-name <zone>`)");
    return problems.count > before ? null : { provider: "route53", zone: zone!, ownerId: ownerId!, zoneId: zoneId! };
}

function parseIngress(problems: Problems, warnings: string[], rawValue: string | undefined, provider: ClusterProvider | undefined): PlatformConfig["ingress"] | undefined {
    const key = "fawkes:ingress";
    const obj = parseObject(problems, key, rawValue) ?? {};
    rejectUnknownFields(problems, key, obj, ["controller", "internal"]);
    const controller = oneOf(problems, `${key}.controller`, obj.controller, ingressControllers, configDefaults.ingress.controller);
    if (controller === "ingress-nginx") {
        warnings.push(
            `${key}.controller is ingress-nginx: the ingress-nginx project was retired upstream in March 2026 and ` +
                "gets no further releases or security fixes. Prefer traefik (the default).",
        );
    }
    const internal = obj.internal === undefined ? undefined : parseInternal(problems, `${key}.internal`, obj.internal, controller, provider);
    if (controller === undefined || internal === null) {
        return undefined;
    }
    return internal === undefined ? { controller } : { controller, internal };
}

/** Null when the value is invalid (the problem is recorded). */
function parseInternal(problems: Problems, key: string, value: unknown, controller: string | undefined, provider: ClusterProvider | undefined): InternalExposure | null {
    const shape = `{ apps?: [${internalApps.join(", ")}] (default: both), sourceRanges: ["10.0.0.0/8", ...] }`;
    if (!isPlainObject(value)) {
        problems.add(key, value, shape);
        return null;
    }
    const before = problems.count;
    if (provider === "kind") {
        // kind has no load balancer: its host ports already answer only on
        // fawkes:cluster.hostPorts.listenAddress, 127.0.0.1 unless changed.
        problems.add(key, value, "unset on kind: the platform answers only on fawkes:cluster.hostPorts.listenAddress (127.0.0.1 by default), and there is no load balancer to make internal");
    }
    if (controller === "ingress-nginx") {
        problems.add(key, value, "unset with ingress-nginx: the internal entrypoint is a second Traefik entrypoint; use fawkes:ingress.controller traefik");
    }
    rejectUnknownFields(problems, key, value, ["apps", "sourceRanges"]);
    let apps: InternalExposure["apps"] = internalApps;
    if (value.apps !== undefined) {
        const list = value.apps;
        if (!Array.isArray(list) || list.length === 0 || new Set(list).size !== list.length || !list.every((a) => (internalApps as readonly unknown[]).includes(a))) {
            problems.add(`${key}.apps`, list, `a non-empty list of distinct apps from ${internalApps.join(", ")}`);
        } else {
            apps = list as InternalExposure["apps"];
        }
    }
    const ranges = value.sourceRanges;
    if (!Array.isArray(ranges) || ranges.length === 0 || !ranges.every((c) => typeof c === "string" && isIpv4Cidr(c))) {
        problems.add(`${key}.sourceRanges`, ranges, 'a non-empty list of IPv4 CIDRs the internal load balancer admits, e.g. ["10.0.0.0/8"] (your VPC/VNet and VPN ranges; required)');
    } else if (ranges.some((c: string) => c.endsWith("/0"))) {
        problems.add(`${key}.sourceRanges`, ranges, "CIDRs narrower than /0: an internal entrypoint open to every address is not internal");
    }
    return problems.count > before ? null : { apps, sourceRanges: ranges as string[] };
}

const httpsGitUrl = /^https:\/\/[a-z0-9.-]+(:\d+)?\/[\w./~-]+$/i;
const sshGitUrl = /^(ssh:\/\/[\w.-]+@[a-z0-9.-]+(:\d+)?\/[\w./~-]+|[\w.-]+@[a-z0-9.-]+:[\w./~-]+)$/i;

/** Half an hour: a laptop pulls every image of the platform on its first run. */
const defaultSyncTimeoutSeconds = 1800;

/** The credential forms fawkes:gitops.credentials takes, and the Argo CD repository Secret fields each becomes. */
const credentialForms: readonly { kind: GitCredentialKind; fields: Readonly<Record<string, string>>; scheme: "https" | "ssh" }[] = [
    { kind: "token", fields: { username: "username", token: "password" }, scheme: "https" },
    { kind: "ssh-key", fields: { sshPrivateKey: "sshPrivateKey" }, scheme: "ssh" },
    { kind: "github-app", fields: { githubAppId: "githubAppID", githubAppInstallationId: "githubAppInstallationID", githubAppPrivateKey: "githubAppPrivateKey" }, scheme: "https" },
];

function parseGitops(problems: Problems, raw: RawConfig, stack: string, provider: ClusterProvider | undefined): PlatformConfig["gitops"] | undefined {
    const key = "fawkes:gitops";
    const obj = parseObject(problems, key, raw.gitops) ?? {};
    rejectUnknownFields(problems, key, obj, ["repoURL", "targetRevision", "path", "credentials", "sshKnownHosts", "syncTimeoutSeconds"]);
    const targetRevision =
        obj.targetRevision === undefined
            ? configDefaults.gitops.targetRevision
            : stringMatching(problems, `${key}.targetRevision`, obj.targetRevision, (s) => /^[\w./-]{1,255}$/.test(s), "a branch, tag or commit, e.g. main");
    const path =
        obj.path === undefined
            ? `platform/${stack}`
            : stringMatching(
                  problems,
                  `${key}.path`,
                  obj.path,
                  (s) => /^[\w.-]+(\/[\w.-]+)*$/.test(s) && !s.split("/").some((seg) => seg === ".." || seg === "."),
                  "a relative path inside the repository, e.g. platform/dev (no leading '/', no '..')",
              );
    const syncTimeoutSeconds =
        obj.syncTimeoutSeconds === undefined
            ? defaultSyncTimeoutSeconds
            : numberIn(problems, `${key}.syncTimeoutSeconds`, obj.syncTimeoutSeconds, { min: 60, max: 4 * 3600, integer: true, describe: "whole seconds from 60 to 14400 (default 1800)" });

    if (obj.repoURL === undefined) {
        for (const field of ["credentials", "sshKnownHosts"].filter((f) => obj[f] !== undefined)) {
            problems.add(`${key}.${field}`, field === "credentials" ? "[secret]" : obj[field], "unset: it is for a remote repository (fawkes:gitops.repoURL); the in-cluster Git server needs none");
        }
        if (provider !== undefined && provider !== "kind") {
            problems.add(
                `${key}.repoURL`,
                undefined,
                `the Git URL Argo CD syncs from, https://host/org/repo.git or git@host:org/repo.git (required on ${provider}: the in-cluster Git server is for local kind stacks)`,
            );
            return undefined;
        }
        if (targetRevision === undefined || path === undefined || syncTimeoutSeconds === undefined) {
            return undefined;
        }
        return { source: "in-cluster", targetRevision, path, syncTimeoutSeconds };
    }

    const repoURL = stringMatching(
        problems,
        `${key}.repoURL`,
        obj.repoURL,
        (s) => httpsGitUrl.test(s) || sshGitUrl.test(s),
        "the Git URL Argo CD syncs from, https://host/org/repo.git or git@host:org/repo.git (or unset on kind for the in-cluster Git server)",
    );
    const sshKnownHosts = parseKnownHosts(problems, `${key}.sshKnownHosts`, obj.sshKnownHosts, repoURL);
    const credentials = repoURL === undefined ? undefined : parseGitCredentials(problems, `${key}.credentials`, obj.credentials, repoURL, raw.gitopsIsSecret === true);
    if (repoURL === undefined || targetRevision === undefined || path === undefined || syncTimeoutSeconds === undefined || sshKnownHosts === undefined || credentials === null) {
        return undefined;
    }
    return { source: "remote", repoURL, targetRevision, path, syncTimeoutSeconds, sshKnownHosts, ...(credentials ? { credentials } : {}) };
}

/** Undefined when there are none, null when they are invalid (the problem is recorded). */
function parseGitCredentials(problems: Problems, key: string, value: unknown, repoURL: string, isSecret: boolean): RemoteGitSource["credentials"] | null | undefined {
    if (value === undefined) {
        return undefined;
    }
    // Never echo the values: only the field names reach a message.
    const shape = isPlainObject(value) ? `{ ${Object.keys(value).join(", ")} }` : "[secret]";
    const allowed = credentialForms.map((f) => `{ ${Object.keys(f.fields).join(", ")} }`).join(" | ");
    if (!isPlainObject(value)) {
        problems.add(key, shape, `one of ${allowed}`);
        return null;
    }
    const form = credentialForms.find((f) => Object.keys(f.fields).length === Object.keys(value).length && Object.keys(f.fields).every((field) => typeof value[field] === "string" && value[field] !== ""));
    if (form === undefined) {
        problems.add(key, shape, `one of ${allowed}, every field a non-empty string`);
        return null;
    }
    const scheme = sshGitUrl.test(repoURL) ? "ssh" : "https";
    if (form.scheme !== scheme) {
        problems.add(key, shape, `credentials for an ${scheme} URL (${repoURL}): ${credentialForms.filter((f) => f.scheme === scheme).map((f) => `{ ${Object.keys(f.fields).join(", ")} }`).join(" | ")}`);
        return null;
    }
    if (!isSecret) {
        problems.add(key, shape, `a secret: set it with \`pulumi config set --secret --path ${key}.<field> <value>\`, so the stack file holds it encrypted`);
        return null;
    }
    const fields = Object.fromEntries(Object.entries(form.fields).map(([field, secretKey]) => [secretKey, String(value[field])]));
    return { kind: form.kind, fields: pulumi.secret(fields) };
}

const knownHostsLine = /^[^\s#]\S*\s+(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+[A-Za-z0-9+/=]+$/;

function parseKnownHosts(problems: Problems, key: string, value: unknown, repoURL: string | undefined): string[] | undefined {
    if (value === undefined) {
        return [];
    }
    if (!Array.isArray(value) || value.some((line) => typeof line !== "string" || !knownHostsLine.test(line.trim()))) {
        problems.add(key, value, "a list of known_hosts lines, `<host> <key-type> <base64 key>` (e.g. from `ssh-keyscan <host>`)");
        return undefined;
    }
    if (repoURL !== undefined && !sshGitUrl.test(repoURL)) {
        problems.add(key, value, `unset: ${repoURL} is an https URL, and known hosts apply to ssh ones`);
        return undefined;
    }
    return value.map((line: string) => line.trim());
}

function parseBudget(problems: Problems, rawValue: string | undefined): PlatformConfig["budget"] | undefined {
    const key = "fawkes:budget";
    const obj = parseObject(problems, key, rawValue) ?? {};
    rejectUnknownFields(problems, key, obj, ["targetUtilization"]);
    if (obj.targetUtilization === undefined) {
        return { targetUtilization: configDefaults.budget.targetUtilization };
    }
    const targetUtilization = numberIn(problems, `${key}.targetUtilization`, obj.targetUtilization, {
        min: 0,
        minExclusive: true,
        max: 1,
        describe: "a fraction in (0, 1], e.g. 0.7 for 70 %",
    });
    return targetUtilization === undefined ? undefined : { targetUtilization };
}

function parseApps(problems: Problems, rawValue: string | undefined): PlatformConfig["apps"] | undefined {
    const key = "fawkes:apps";
    const obj = parseObject(problems, key, rawValue);
    if (obj === undefined) {
        return rawValue === undefined ? {} : undefined;
    }
    const known = catalogAppNames();
    const apps: Record<string, boolean> = {};
    for (const [name, value] of Object.entries(obj)) {
        if (!known.includes(name)) {
            problems.add(`${key}.${name}`, value, `an app of the catalog (${known.join(", ")})`);
            continue;
        }
        apps[name] = booleanValue(problems, `${key}.${name}`, value, false);
    }
    return apps;
}
