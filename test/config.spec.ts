import * as assert from "node:assert/strict";
import { configDefaults, parseConfig, type RawConfig } from "../components/config";
import { kindNodeImages, kubernetesVersions } from "../components/kubernetes-versions";
import { ConfigError } from "../components/validation";
import { asConfigError, projectDefaults, runStackFile, type StackConfig } from "../scripts/lib/harness";

/** Raw config as the runtime hands it over: structured values as JSON strings. */
function raw(config: Record<string, unknown>): RawConfig {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        out[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}
const devRaw = () => raw({ cluster: { provider: "kind" }, gitops: { repoURL: "https://github.com/acme/fawkes.git" } });
/** The one reach path every EKS and AKS stack must declare (fawkes:cluster.apiAccess). */
const apiAccess = { mode: "public", cidrs: ["198.51.100.0/24"] };

describe("config contract", () => {
    it("Pulumi.yaml declares the same defaults the program applies itself", () => {
        const declared = projectDefaults();
        for (const [key, value] of Object.entries(configDefaults)) {
            assert.deepEqual(declared[`fawkes:${key}`], value, `Pulumi.yaml default of fawkes:${key}`);
        }
    });

    it("applies the documented defaults to a minimal kind stack", () => {
        const config = parseConfig(devRaw(), "dev");
        assert.equal(config.cluster.provider, "kind");
        assert.equal(config.cluster.name, "fawkes-dev");
        assert.equal(config.cluster.kubernetesVersion, "1.35");
        assert.deepEqual(
            config.cluster.pools.map((p) => [p.name, p.count, p.cpu, p.memoryGiB]),
            [
                ["platform", 1, 4, 16],
                ["ci", 1, 4, 16],
                ["apps", 1, 4, 16],
            ],
        );
        assert.equal(config.domain, "fawkes.localtest.me");
        assert.deepEqual(config.tls, { issuer: "local-ca", solver: "http01" });
        assert.deepEqual(config.ingress, { controller: "traefik" });
        assert.deepEqual(config.gitops, { source: "remote", repoURL: "https://github.com/acme/fawkes.git", targetRevision: "main", path: "platform/dev", syncTimeoutSeconds: 1800, sshKnownHosts: [] });
        assert.deepEqual(config.cluster.provider === "kind" && config.cluster.hostPorts, { http: 80, https: 443, listenAddress: "127.0.0.1" });
        // Without a repository a kind stack syncs from its in-cluster Git server.
        assert.deepEqual(parseConfig(raw({ cluster: { provider: "kind" } }), "dev").gitops, { source: "in-cluster", targetRevision: "main", path: "platform/dev", syncTimeoutSeconds: 1800 });
        assert.equal(config.budget.targetUtilization, 0.7);
        assert.equal(config.ha, false);
        assert.deepEqual(config.warnings, []);
    });

    it("defaults cloud pools to the reference layout: platform x2, ci, apps on 4 vCPU / 16 GiB / 100 GiB", () => {
        for (const [provider, extra, instanceType] of [
            ["eks", { region: "eu-west-1" }, "m5.xlarge"],
            ["aks", { location: "westeurope" }, "Standard_D4s_v5"],
        ] as const) {
            const config = parseConfig(raw({ cluster: { provider, ...extra, apiAccess }, gitops: { repoURL: "git@github.com:acme/fawkes.git" } }), "prod");
            assert.deepEqual(
                config.cluster.pools.map((p) => [p.name, p.count, p.instanceType, p.cpu, p.memoryGiB, p.diskGiB]),
                [
                    ["platform", 2, instanceType, 4, 16, 100],
                    ["ci", 1, instanceType, 4, 16, 100],
                    ["apps", 1, instanceType, 4, 16, 100],
                ],
                provider,
            );
        }
    });

    it("takes the region and location from aws:region / azure-native:location", () => {
        const eks = parseConfig({ ...raw({ cluster: { provider: "eks", apiAccess }, gitops: { repoURL: "https://git.example.com/p.git" } }), awsRegion: "us-east-2" }, "s");
        assert.equal(eks.cluster.provider === "eks" && eks.cluster.region, "us-east-2");
        const aks = parseConfig({ ...raw({ cluster: { provider: "aks", apiAccess }, gitops: { repoURL: "https://git.example.com/p.git" } }), azureLocation: "northeurope" }, "s");
        assert.equal(aks.cluster.provider === "aks" && aks.cluster.location, "northeurope");
    });

    it("accepts numbers and booleans typed as strings, as `pulumi config set --path` may store them", () => {
        const pools = [
            { name: "platform", count: "2", cpu: "8", memoryGiB: "32" },
            { name: "apps", count: "1" },
        ];
        // Without a ci pool, the apps placed there must be switched off (booleans as strings too).
        const config = parseConfig(
            { ...raw({ cluster: { provider: "kind", pools }, gitops: { repoURL: "https://g.example.com/r" }, budget: { targetUtilization: "0.6" }, apps: { jenkins: "false", devlake: "false", sonarqube: "false", harbor: "false" } }), ha: "false" },
            "dev",
        );
        assert.deepEqual(
            config.cluster.pools.map((p) => [p.count, p.cpu, p.memoryGiB]),
            [
                [2, 8, 32],
                [1, 4, 16],
            ],
        );
        assert.equal(config.budget.targetUtilization, 0.6);
        assert.equal(config.ha, false);
        assert.deepEqual(config.apps, { jenkins: false, devlake: false, sonarqube: false, harbor: false });
        assert.equal(parseConfig({ ...raw({ cluster: { provider: "eks", region: "eu-west-1", apiAccess }, gitops: { repoURL: "https://g.example.com/r" } }), ha: "true" }, "p").ha, true);
    });

    describe("fawkes:cluster.apiAccess and kubelogin", () => {
        const cloud = (provider: "eks" | "aks", cluster: Record<string, unknown>, ha = true) =>
            parseConfig({ ...raw({ cluster: { provider, region: provider === "eks" ? "eu-west-1" : undefined, location: provider === "aks" ? "westeurope" : undefined, ...cluster }, gitops: { repoURL: "https://g.example.com/r" } }), ha: String(ha) }, "prod").cluster;

        it("refuses an EKS or AKS stack without a reach path, naming both options", () => {
            for (const provider of ["eks", "aks"] as const) {
                const err = catchConfigError(() => cloud(provider, {}));
                const problem = err.problems.find((p) => p.key === "fawkes:cluster.apiAccess")!;
                assert.match(problem.allowed, new RegExp(`required on ${provider}`));
                assert.match(problem.allowed, /\{ mode: public, cidrs: \[/);
                assert.match(problem.allowed, /deployerCidr/);
                assert.match(problem.allowed, /\{ mode: private, runnerCidrs\?/);
                assert.match(problem.allowed, /self-hosted runner or a Pulumi Deployments agent/);
            }
        });

        it("keeps the deployer's /32 beside the team's ranges; a private EKS endpoint admits the VPC unless told otherwise", () => {
            const deployer = { mode: "public", cidrs: ["198.51.100.0/24"], deployerCidr: "203.0.113.7/32" };
            const withDeployer = cloud("eks", { apiAccess: deployer });
            assert.deepEqual(withDeployer.provider === "eks" && withDeployer.apiAccess, deployer);
            const onlyDeployer = cloud("aks", { apiAccess: { mode: "public", deployerCidr: "203.0.113.7/32" } });
            assert.deepEqual(onlyDeployer.provider === "aks" && onlyDeployer.apiAccess, { mode: "public", cidrs: [], deployerCidr: "203.0.113.7/32" });
            const priv = cloud("eks", { apiAccess: { mode: "private" } });
            assert.deepEqual(priv.provider === "eks" && priv.apiAccess, { mode: "private", runnerCidrs: ["10.0.0.0/16"] });
            const aksPrivate = cloud("aks", { apiAccess: { mode: "private" } });
            assert.deepEqual(aksPrivate.provider === "aks" && aksPrivate.apiAccess, { mode: "private", runnerCidrs: [] });
        });

        it("warns, but accepts, an endpoint open to 0.0.0.0/0 outside ha", () => {
            const config = parseConfig({ ...raw({ cluster: { provider: "eks", region: "eu-west-1", apiAccess: { mode: "public", cidrs: ["0.0.0.0/0"] } }, gitops: { repoURL: "https://g.example.com/r" } }), ha: "false" }, "p");
            assert.match(config.warnings.join("\n"), /apiAccess\.cidrs includes 0\.0\.0\.0\/0: the EKS API server is reachable from the whole internet/);
        });

        it("kubelogin: azurecli unless set, the three non-interactive logins only", () => {
            const aks = cloud("aks", { apiAccess });
            assert.equal(aks.provider === "aks" && aks.kubelogin, "azurecli");
            for (const mode of ["workloadidentity", "spn"]) {
                const set = cloud("aks", { apiAccess, kubelogin: mode });
                assert.equal(set.provider === "aks" && set.kubelogin, mode);
            }
            const err = catchConfigError(() => cloud("aks", { apiAccess, kubelogin: "interactive" }));
            assert.match(err.problems.find((p) => p.key === "fawkes:cluster.kubelogin")!.allowed, /azurecli.*workloadidentity.*spn/);
        });
    });

    it("makes a valid cluster name from any stack name", () => {
        const config = parseConfig(devRaw(), "Team_A.Feature/42");
        assert.match(config.cluster.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        assert.ok(config.cluster.name.length <= 40);
    });

    it("returns a deeply frozen object", () => {
        const config = parseConfig(devRaw(), "dev");
        assert.ok(Object.isFrozen(config) && Object.isFrozen(config.cluster) && Object.isFrozen(config.cluster.pools[0]));
        assert.throws(() => {
            (config.cluster.pools[0] as { count: number }).count = 9;
        }, TypeError);
    });

    it("warns, but accepts, the retired ingress-nginx controller", () => {
        const config = parseConfig({ ...devRaw(), ingress: JSON.stringify({ controller: "ingress-nginx" }) }, "dev");
        assert.equal(config.ingress.controller, "ingress-nginx");
        assert.match(config.warnings.join("\n"), /ingress-nginx.*retired upstream in March 2026/);
    });

    it("collects every problem of one config into one error", () => {
        const err = catchConfigError(() =>
            parseConfig(raw({ cluster: { provider: "kind", name: "Bad_Name" }, domain: "not a domain", budget: { targetUtilization: 2 }, gitops: { repoURL: "x" } }), "dev"),
        );
        assert.deepEqual(
            err.problems.map((p) => p.key),
            ["fawkes:cluster.name", "fawkes:domain", "fawkes:gitops.repoURL", "fawkes:budget.targetUtilization"],
        );
        assert.match(err.message, /4 problems/);
    });

    it("keeps the kind version window and the pinned node images in step", () => {
        assert.deepEqual(Object.keys(kindNodeImages).sort(), [...kubernetesVersions.kind.supported].sort());
        for (const image of Object.values(kindNodeImages)) {
            assert.match(image, /^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        }
    });
});

function catchConfigError(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e;
    }
    assert.fail("expected the config to be rejected");
}

type Change = (c: StackConfig) => void;
const setCluster =
    (fields: Record<string, unknown>): Change =>
    (c) => {
        c["fawkes:cluster"] = { ...(c["fawkes:cluster"] as object), ...fields };
    };
const setPool =
    (index: number, fields: Record<string, unknown>): Change =>
    (c) => {
        const cluster = c["fawkes:cluster"] as { pools?: Record<string, unknown>[] };
        cluster.pools ??= [{ name: "platform", count: 1 }];
        cluster.pools[index] = { ...cluster.pools[index], ...fields };
    };
const set =
    (key: string, value: unknown): Change =>
    (c) => {
        if (value === undefined) {
            delete c[key];
        } else {
            c[key] = value;
        }
    };
const merge =
    (key: string, fields: Record<string, unknown>): Change =>
    (c) => {
        c[key] = { ...(c[key] as object), ...fields };
    };

/** [stack file, what is wrong, the change, the key the message must name, the value it must show] */
const invalidConfigs: [string, string, Change, string, string][] = [
    ["dev", "no cluster at all", set("fawkes:cluster", undefined), "fawkes:cluster.provider", "nothing"],
    ["dev", "an unknown provider", setCluster({ provider: "gke" }), "fawkes:cluster.provider", '"gke"'],
    ["dev", "cluster set as a plain string", set("fawkes:cluster", "kind"), "fawkes:cluster", '"kind"'],
    ["dev", "a cluster name with upper case and '_'", setCluster({ name: "Fawkes_Dev" }), "fawkes:cluster.name", '"Fawkes_Dev"'],
    ["dev", "a cluster name over 40 characters", setCluster({ name: "f".repeat(41) }), "fawkes:cluster.name", "fffff"],
    ["dev", "a Kubernetes version kind has no image for", setCluster({ kubernetesVersion: "1.20" }), "fawkes:cluster.kubernetesVersion", '"1.20"'],
    ["dev", "an unquoted version YAML reads as a number", setCluster({ kubernetesVersion: 1.3 }), "fawkes:cluster.kubernetesVersion", "1.3"],
    ["prod", "a version EKS does not offer yet", setCluster({ kubernetesVersion: "1.37" }), "fawkes:cluster.kubernetesVersion", '"1.37"'],
    ["dev", "an empty pool list", setCluster({ pools: [] }), "fawkes:cluster.pools", "[]"],
    ["dev", "pools given as an object", setCluster({ pools: { platform: 1 } }), "fawkes:cluster.pools", '{"platform":1}'],
    ["prod", "a pool of zero nodes", setPool(1, { count: 0 }), "fawkes:cluster.pools[1].count", "0"],
    ["prod", "a fractional node count", setPool(0, { count: 2.5 }), "fawkes:cluster.pools[0].count", "2.5"],
    ["prod", "two pools with one name", setPool(2, { name: "ci" }), "fawkes:cluster.pools[2].name", '"ci"'],
    ["dev", "a pool name with upper case", setPool(0, { name: "Platform" }), "fawkes:cluster.pools[0].name", '"Platform"'],
    ["dev", "a kind pool named like the control plane", setPool(0, { name: "control-plane" }), "fawkes:cluster.pools[0].name", '"control-plane"'],
    ["dev", "an instance type on kind", setPool(0, { instanceType: "m5.xlarge" }), "fawkes:cluster.pools[0].instanceType", '"m5.xlarge"'],
    ["prod", "an unknown instance type without cpu and memoryGiB", setPool(0, { instanceType: "m9.mega" }), "fawkes:cluster.pools[0].instanceType", '"m9.mega"'],
    ["prod", "cpu that contradicts the instance type", setPool(0, { cpu: 8 }), "fawkes:cluster.pools[0].cpu", "8"],
    ["prod", "a root disk below the EKS minimum", setPool(0, { diskGiB: 10 }), "fawkes:cluster.pools[0].diskGiB", "10"],
    ["prod-aks", "an AKS pool name with a hyphen", setPool(0, { name: "platform-a" }), "fawkes:cluster.pools[0].name", '"platform-a"'],
    ["prod-aks", "an AKS pool name over 12 characters", setPool(0, { name: "platformpool1" }), "fawkes:cluster.pools[0].name", '"platformpool1"'],
    ["prod-aks", "an EC2 instance type on AKS", setPool(0, { instanceType: "m5.xlarge" }), "fawkes:cluster.pools[0].instanceType", '"m5.xlarge"'],
    ["prod", "no region anywhere", set("aws:region", undefined), "fawkes:cluster.region", "nothing"],
    ["prod", "a region that is no AWS region", (c) => (set("aws:region", undefined)(c), setCluster({ region: "europe" })(c)), "fawkes:cluster.region", '"europe"'],
    ["prod", "region and aws:region that disagree", setCluster({ region: "us-east-1" }), "fawkes:cluster.region", '"us-east-1"'],
    ["prod", "no reach path for the EKS API server", setCluster({ apiAccess: undefined }), "fawkes:cluster.apiAccess", "nothing"],
    ["prod-aks", "no reach path for the AKS API server", setCluster({ apiAccess: undefined }), "fawkes:cluster.apiAccess", "nothing"],
    ["prod", "a reach path of an unknown mode", setCluster({ apiAccess: { mode: "vpn" } }), "fawkes:cluster.apiAccess.mode", '"vpn"'],
    ["prod", "a public endpoint admitting nobody (no cidrs, no deployerCidr)", setCluster({ apiAccess: { mode: "public" } }), "fawkes:cluster.apiAccess.cidrs", "[]"],
    ["prod", "a deployerCidr wider than one address", setCluster({ apiAccess: { mode: "public", cidrs: [], deployerCidr: "203.0.113.0/24" } }), "fawkes:cluster.apiAccess.deployerCidr", '"203.0.113.0/24"'],
    ["prod", "a deployerCidr that is no address", setCluster({ apiAccess: { mode: "public", cidrs: ["198.51.100.0/24"], deployerCidr: "runner" } }), "fawkes:cluster.apiAccess.deployerCidr", '"runner"'],
    ["prod", "an ha EKS endpoint open to the internet", setCluster({ apiAccess: { mode: "public", cidrs: ["0.0.0.0/0"] } }), "fawkes:cluster.apiAccess.cidrs", "0.0.0.0/0"],
    ["prod-aks", "an ha AKS API server open to the internet", setCluster({ apiAccess: { mode: "public", cidrs: ["198.51.100.0/24", "0.0.0.0/0"] } }), "fawkes:cluster.apiAccess.cidrs", "0.0.0.0/0"],
    ["prod", "an invalid CIDR", setCluster({ apiAccess: { mode: "public", cidrs: ["10.0.0.0/33"] } }), "fawkes:cluster.apiAccess.cidrs", "10.0.0.0/33"],
    ["prod", "a private EKS endpoint no network may reach", setCluster({ apiAccess: { mode: "private", runnerCidrs: [] } }), "fawkes:cluster.apiAccess.runnerCidrs", "[]"],
    ["prod", "a deployerCidr on a private endpoint", setCluster({ apiAccess: { mode: "private", deployerCidr: "203.0.113.7/32" } }), "fawkes:cluster.apiAccess.deployerCidr", '"203.0.113.7/32"'],
    ["prod-aks", "runnerCidrs on a private AKS API server", setCluster({ apiAccess: { mode: "private", runnerCidrs: ["10.50.0.0/16"] } }), "fawkes:cluster.apiAccess.runnerCidrs", "10.50.0.0/16"],
    ["prod", "the retired endpointPublicAccessCidrs key", setCluster({ endpointPublicAccessCidrs: [] }), "fawkes:cluster.endpointPublicAccessCidrs", "[]"],
    ["prod-aks", "a device-code kubelogin", setCluster({ kubelogin: "devicecode" }), "fawkes:cluster.kubelogin", '"devicecode"'],
    ["prod-aks", "a kubelogin mode on a cluster with local accounts (not ha)", (c) => (set("fawkes:ha", false)(c), setCluster({ kubelogin: "spn" })(c)), "fawkes:cluster.kubelogin", '"spn"'],
    ["prod", "a single availability zone", setCluster({ availabilityZones: ["eu-west-1a"] }), "fawkes:cluster.availabilityZones", "eu-west-1a"],
    ["prod", "zones of another region", setCluster({ availabilityZones: ["us-east-1a", "us-east-1b"] }), "fawkes:cluster.availabilityZones", "us-east-1a"],
    ["dev", "an EKS-only field on kind", setCluster({ region: "eu-west-1" }), "fawkes:cluster.region", '"eu-west-1"'],
    ["dev", "a misspelt cluster field", setCluster({ kubernetesVerison: "1.35" }), "fawkes:cluster.kubernetesVerison", '"1.35"'],
    ["prod-aks", "no location anywhere", set("azure-native:location", undefined), "fawkes:cluster.location", "nothing"],
    ["prod-aks", "a resource group name ending in '.'", setCluster({ resourceGroupName: "rg-fawkes." }), "fawkes:cluster.resourceGroupName", '"rg-fawkes."'],
    ["dev", "a domain with upper case", set("fawkes:domain", "Fawkes.Example.com"), "fawkes:domain", '"Fawkes.Example.com"'],
    ["dev", "a single-label domain", set("fawkes:domain", "localhost"), "fawkes:domain", '"localhost"'],
    ["dev", "an unknown TLS issuer", merge("fawkes:tls", { issuer: "vault" }), "fawkes:tls.issuer", '"vault"'],
    ["prod", "Let's Encrypt without an e-mail", (c) => (c["fawkes:tls"] = { issuer: "letsencrypt" }), "fawkes:tls.email", "nothing"],
    ["prod", "Let's Encrypt with a malformed e-mail", merge("fawkes:tls", { email: "platform-team" }), "fawkes:tls.email", '"platform-team"'],
    ["dev", "Let's Encrypt for a domain only this machine resolves", (c) => (c["fawkes:tls"] = { issuer: "letsencrypt-staging", email: "a@b.io" }), "fawkes:tls.issuer", '"letsencrypt-staging"'],
    ["dev", "an unknown ingress controller", set("fawkes:ingress", { controller: "nginx" }), "fawkes:ingress.controller", '"nginx"'],
    ["dev", "a misspelt ingress field", set("fawkes:ingress", { controler: "traefik" }), "fawkes:ingress.controler", '"traefik"'],
    ["prod", "no GitOps repository on eks", set("fawkes:gitops", undefined), "fawkes:gitops.repoURL", "nothing"],
    ["dev", "credentials without a repository", merge("fawkes:gitops", { repoURL: undefined, credentials: { username: "u", token: "t" } }), "fawkes:gitops.credentials", '"[secret]"'],
    ["dev", "a sync time limit under a minute", merge("fawkes:gitops", { syncTimeoutSeconds: 5 }), "fawkes:gitops.syncTimeoutSeconds", "5"],
    ["dev", "known hosts that are not known_hosts lines", merge("fawkes:gitops", { repoURL: "git@github.com:acme/p.git", sshKnownHosts: ["not a key"] }), "fawkes:gitops.sshKnownHosts", '["not a key"]'],
    ["dev", "http and https on one host port", merge("fawkes:cluster", { hostPorts: { http: 8443, https: 8443 } }), "fawkes:cluster.hostPorts.https", "8443"],
    ["dev", "a host port out of range", merge("fawkes:cluster", { hostPorts: { https: 70000 } }), "fawkes:cluster.hostPorts.https", "70000"],
    ["dev", "a listen address that is not an IPv4 address", merge("fawkes:cluster", { hostPorts: { listenAddress: "localhost" } }), "fawkes:cluster.hostPorts.listenAddress", '"localhost"'],
    ["prod", "host ports on eks", merge("fawkes:cluster", { hostPorts: { https: 8443 } }), "fawkes:cluster.hostPorts", '{"https":8443}'],
    ["dev", "a GitOps URL that is not https or ssh", merge("fawkes:gitops", { repoURL: "ftp://example.com/repo.git" }), "fawkes:gitops.repoURL", '"ftp://example.com/repo.git"'],
    ["dev", "a GitOps path that climbs out of the repo", merge("fawkes:gitops", { path: "platform/../../etc" }), "fawkes:gitops.path", '"platform/../../etc"'],
    ["dev", "an absolute GitOps path", merge("fawkes:gitops", { path: "/platform/dev" }), "fawkes:gitops.path", '"/platform/dev"'],
    ["dev", "a revision with a space", merge("fawkes:gitops", { targetRevision: "my branch" }), "fawkes:gitops.targetRevision", '"my branch"'],
    ["dev", "a utilisation target of 0", set("fawkes:budget", { targetUtilization: 0 }), "fawkes:budget.targetUtilization", "0"],
    ["dev", "a utilisation target above 100 %", set("fawkes:budget", { targetUtilization: 1.5 }), "fawkes:budget.targetUtilization", "1.5"],
    ["dev", "a utilisation target in words", set("fawkes:budget", { targetUtilization: "seventy" }), "fawkes:budget.targetUtilization", '"seventy"'],
    ["dev", "an app the catalog does not know", set("fawkes:apps", { "eclipse-che": true }), "fawkes:apps.eclipse-che", "true"],
    ["dev", "the shared database off while apps use it", set("fawkes:apps", { "platform-postgres": false }), "fawkes:apps.platform-postgres", "false"],
    ["dev", "an optional app on without what it needs", set("fawkes:apps", { "opensearch-dashboards": true }), "fawkes:apps.opensearch", "false"],
    ["dev", "apps given as a list", set("fawkes:apps", ["backstage"]), "fawkes:apps", '["backstage"]'],
    ["dev", "ha that is not a boolean", set("fawkes:ha", "yes"), "fawkes:ha", '"yes"'],
    ["dev", "ha on a kind cluster", set("fawkes:ha", true), "fawkes:ha", "true"],
    ["prod", "pools without the ones the catalog places add-ons on", setCluster({ pools: [{ name: "general", count: 4 }] }), "fawkes:cluster.pools", '["general"]'],
];

describe("invalid configs fail before any resource is registered", () => {
    it(`covers at least 30 cases (has ${invalidConfigs.length})`, () => {
        assert.ok(invalidConfigs.length >= 30);
    });

    for (const [stack, what, change, key, shown] of invalidConfigs) {
        it(`${stack}: ${what} → ${key}`, async () => {
            const run = await runStackFile(stack, change);
            const error = asConfigError(run.error);
            assert.ok(error, `expected a ConfigError, got ${String(run.error)}`);
            const problem = error.problems.find((p) => p.key === key);
            assert.ok(problem, `no problem names ${key}; message was:\n${error.message}`);
            assert.ok(problem.shown.includes(shown), `problem for ${key} shows ${problem.shown}, expected it to show ${shown}`);
            assert.ok(problem.allowed.length > 0);
            assert.ok(error.message.includes(`${key}: got ${problem.shown}; allowed: ${problem.allowed}`));
            assert.deepEqual(
                run.resources.map((r) => r.type),
                [],
                "no resource may be registered",
            );
        });
    }
});
