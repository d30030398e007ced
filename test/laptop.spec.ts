// The laptop journey under mocks: the dev stack as shipped syncs from its in-cluster Git
// server, seeds the generated tree, waits on the seeded revision, exports one secret
// `credentials` output, and lets `pulumi destroy` go with the cluster; a remote stack's
// credentials travel only through Vault and External Secrets; a stale committed tree stops
// a preview.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { poolDemand } from "../components/budget";
import { enabledGitopsApps, stackCatalog } from "../components/catalog";
import { inClusterRepoURL } from "../components/gitops/git-source";
import { treeFiles } from "../components/gitops/tree-files";
import { platformSecretSpecs } from "../components/platform-secrets";
import { asConfigError, type CapturedResource, ofType, projectRoot, type RunResult, runStackFile, runStackFileOk, type StackConfig } from "../scripts/lib/harness";
import { stackConfig } from "../scripts/lib/stacks";

const applicationType = "kubernetes:argoproj.io/v1alpha1:Application";
const externalSecretType = "kubernetes:external-secrets.io/v1:ExternalSecret";
const dynamicType = "pulumi-nodejs:dynamic:Resource";
const seedType = "pulumi-nodejs:dynamic/gitops:GitSeed";
const named = (run: RunResult, type: string, name: string) => run.resources.find((r) => r.type === type && r.name === name);
const applications = (run: RunResult) => ofType(run, applicationType);

/** Every string in a value, with its dotted path. */
function strings(value: unknown, at = ""): [string, string][] {
    if (typeof value === "string") {
        return [[at, value]];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => strings(v, at === "" ? k : `${at}.${k}`));
    }
    return [];
}
const underSecret = (p: string, secrets: readonly string[]) => secrets.some((s) => s === "" || p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`));

describe("laptop journey: the dev stack as shipped (mocked run)", function () {
    this.timeout(60_000);
    let dev: RunResult;
    before(async () => {
        dev = await runStackFileOk("dev");
    });

    it("ships without a remote repository: Pulumi.dev.yaml sets no fawkes:gitops.repoURL", () => {
        const file = parse(fs.readFileSync(path.join(projectRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        assert.equal((file.config["fawkes:gitops"] as { repoURL?: string } | undefined)?.repoURL, undefined);
        assert.equal((dev.outputs.gitops as { source: string }).source, "in-cluster");
    });

    it("installs the Git server as a core Helm release on SQLite with its own volume, behind the ingress at git.<domain>", () => {
        const release = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "git")!;
        assert.ok(release, "no git release");
        const values = release.inputs.values as {
            gitea: { config: { database: { DB_TYPE: string }; repository: { ENABLE_PUSH_CREATE_USER: boolean } } };
            postgresql: { enabled: boolean };
            persistence: { enabled: boolean };
            ingress: { hosts: { host: string }[] };
        };
        assert.equal(values.gitea.config.database.DB_TYPE, "sqlite3");
        assert.equal(values.postgresql.enabled, false);
        assert.equal(values.persistence.enabled, true);
        assert.equal(values.ingress.hosts[0].host, "git.fawkes.localtest.me");
        assert.equal(values.gitea.config.repository.ENABLE_PUSH_CREATE_USER, true);
        assert.equal((dev.outputs.urls as Record<string, string>).git, "https://git.fawkes.localtest.me");
    });

    it("syncs from the in-cluster server only: no external Git host in any Application, project or repository setting", () => {
        const root = applications(dev).find((a) => (a.inputs.metadata as { name: string }).name === "fawkes-platform")!;
        const source = (root.inputs.spec as { source: { repoURL: string; path: string } }).source;
        assert.equal(source.repoURL, inClusterRepoURL);
        assert.match(inClusterRepoURL, /^http:\/\/git-http\.git\.svc\.cluster\.local:3000\//);
        const projects = ofType(dev, "kubernetes:argoproj.io/v1alpha1:AppProject");
        type Source = { repoURL: string; chart?: string };
        const sourcesOf = (spec: { source?: Source; sources?: Source[] }) => spec.sources ?? (spec.source ? [spec.source] : []);
        const seed = named(dev, seedType, "git-seed")!;
        const seededApps = Object.values(seed.inputs.files as Record<string, string>)
            .map((text) => parse(text) as { kind?: string; spec: { source?: Source; sources?: Source[] } })
            .filter((doc) => doc.kind === "Application");
        assert.ok(seededApps.length > 10);
        const gitUrls = [
            ...projects.flatMap((p) => ((p.inputs.spec as { sourceRepos?: string[] }).sourceRepos ?? []).filter((u) => u.endsWith(".git"))),
            ...[...applications(dev).map((a) => a.inputs.spec as { source?: Source; sources?: Source[] }), ...seededApps.map((d) => d.spec)].flatMap(sourcesOf).filter((s) => s.chart === undefined).map((s) => s.repoURL),
        ];
        assert.ok(gitUrls.length > 0);
        assert.deepEqual([...new Set(gitUrls)], [inClusterRepoURL]);
        // Every seeded Application's chart comes from a Helm repository, never from a Git host.
        for (const doc of seededApps) {
            assert.ok(sourcesOf(doc.spec).some((s) => s.chart !== undefined), "an Application without a chart source");
        }
        assert.ok(!JSON.stringify(dev.resources.map((r) => r.inputs)).includes("github.com/fawkes-platform"));
    });

    it("seeds exactly the tree the program generates, through the ingress with the local CA, after the server and its route exist", () => {
        const seed = named(dev, seedType, "git-seed")!;
        const expected = Object.fromEntries(treeFiles(stackConfig("dev")));
        assert.deepEqual(seed.inputs.files, expected);
        assert.ok(Object.keys(expected).some((f) => f === "platform/dev/kustomization.yaml"));
        assert.equal(seed.inputs.url, "https://git.fawkes.localtest.me/fawkes/platform.git");
        assert.equal(seed.inputs.branch, "main");
        assert.match(String(seed.inputs.caCertificate), /BEGIN CERTIFICATE/);
        assert.ok(seed.secretInputs.includes("password"), "the push password must be a secret input");
        const release = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "git")!;
        const ingress = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "traefik")!;
        assert.ok(seed.dependencies.includes(release.urn) && seed.dependencies.includes(ingress.urn));
        // The tree holds no secret value of the run.
        const secretValues = dev.resources.flatMap((r) => r.secretInputs.map((p) => p)).length;
        assert.ok(secretValues > 0);
        const passwords = ofType(dev, "random:index/randomPassword:RandomPassword").map((r) => String(r.state.result));
        for (const text of Object.values(seed.inputs.files as Record<string, string>)) {
            for (const p of passwords) {
                assert.ok(!text.includes(p), "a generated password is in the seeded tree");
            }
        }
    });

    it("points the root Application at the seeded commit, and waits for exactly that revision and every enabled app", () => {
        const seed = named(dev, seedType, "git-seed")!;
        const root = applications(dev).find((a) => (a.inputs.metadata as { name: string }).name === "fawkes-platform")!;
        const commit = String(seed.state.commit);
        assert.match(commit, /^[0-9a-f]{40}$/);
        assert.equal((root.inputs.spec as { source: { targetRevision: string } }).source.targetRevision, commit);
        assert.ok(root.dependencies.includes(seed.urn));
        const wait = named(dev, dynamicType, "platform-sync")!;
        assert.ok(wait, "no sync wait");
        assert.equal(wait.inputs.revision, commit);
        assert.equal(wait.inputs.rootApp, "fawkes-platform");
        assert.deepEqual(wait.inputs.apps, enabledGitopsApps({}).map((a) => a.name));
        assert.equal(wait.inputs.timeoutSeconds, 1800);
        assert.ok(wait.secretInputs.includes("kubeconfig"));
        assert.ok(wait.dependencies.includes(root.urn), "the wait must start after the root Application exists");
    });

    it("exports every login as one secret `credentials` output, with the passwords the apps read", () => {
        assert.ok(dev.secretOutputs.includes("credentials"), "credentials must be secret");
        const credentials = dev.outputs.credentials as Record<string, { url: string; username: string; password: string }>;
        for (const app of ["argo-cd", "grafana", "jenkins", "harbor", "sonarqube", "git"]) {
            const c = credentials[app];
            assert.ok(c, `no credentials for ${app}`);
            assert.match(c.url, /^https:\/\/[a-z]+\.fawkes\.localtest\.me$/);
            assert.ok(c.username.length > 0 && c.password.length > 0, app);
        }
        // The same value the platform secret holds, e.g. Argo CD's admin password.
        const argoPassword = ofType(dev, "random:index/randomPassword:RandomPassword").find((r) => r.name === "platform-secrets-argocd-admin-password")!;
        assert.equal(credentials["argo-cd"].password, argoPassword.state.result);
        assert.equal(credentials.git.username, "fawkes");
        const gitSecret = ofType(dev, "kubernetes:core/v1:Secret").find((r) => (r.inputs.metadata as { name: string }).name === "git-admin")!;
        assert.equal((gitSecret.inputs.stringData as { password: string }).password, credentials.git.password);
        // Every login names a platform secret that the app's namespace receives.
        for (const [app, c] of Object.entries(credentials)) {
            assert.ok(c.password !== "", app);
        }
        assert.ok(platformSecretSpecs.some((s) => s.path === "grafana/admin"));
        // Optional apps' logins show up when they are switched on.
        assert.equal(credentials.keycloak, undefined);
    });

    it("gives every in-cluster resource the kind cluster as its deletedWith, so destroy deletes one container", () => {
        const kind = dev.resources.find((r) => r.type === "command:local:Command" && r.name.endsWith("-kind"))!;
        const k8sProvider = dev.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        const vaultProvider = dev.resources.find((r) => r.type === "pulumi:providers:vault")!;
        const inCluster = dev.resources.filter(
            (r) => r.custom && (r.provider === k8sProvider.urn || r.provider === vaultProvider.urn || (r.type.startsWith("pulumi-nodejs:dynamic") && ["git-seed", "platform-sync"].includes(r.name))),
        );
        assert.ok(inCluster.length > 50, `only ${inCluster.length} in-cluster resources found`);
        const missing = inCluster.filter((r) => r.deletedWith !== kind.urn).map((r) => `${r.type} ${r.name}`);
        assert.deepEqual(missing, []);
        // Outside the cluster: the image caches outlive it, and the cluster itself is not deleted with itself.
        assert.equal(kind.deletedWith, "");
        assert.ok(dev.resources.filter((r) => r.type === "docker:index/container:Container" || r.name.includes("image-cache")).every((r) => r.deletedWith === ""));
        assert.equal(vaultProvider.inputs.skipGetVaultVersion, "true");
        assert.equal(vaultProvider.inputs.vaultVersionOverride, "2.0.4");
    });

    it("runs the kind preflight as the step before the cluster", () => {
        const kind = dev.resources.find((r) => r.type === "command:local:Command" && r.name.endsWith("-kind"))!;
        const preflight = dev.resources.find((r) => r.type === dynamicType && r.name.endsWith("-preflight"))!;
        assert.ok(preflight, "no preflight resource");
        assert.ok(kind.dependencies.includes(preflight.urn));
        const requests = preflight.inputs.requests as { cpuMillicores: number; memoryBytes: number };
        // The steady state the render test proves equal to what the charts run, on every pool.
        const config = stackConfig("dev");
        const demand = [...poolDemand(stackCatalog(config), [...config.cluster.pools, { name: "control-plane", count: 1 }]).values()];
        assert.deepEqual(requests, { cpuMillicores: demand.reduce((n, d) => n + d.requests.cpu, 0), memoryBytes: demand.reduce((n, d) => n + d.requests.memory, 0) });
        assert.ok(requests.cpuMillicores > 3000 && requests.memoryBytes > 8 * 1024 ** 3, JSON.stringify(requests));
        assert.deepEqual(preflight.inputs.hostPorts, { http: 80, https: 443, listenAddress: "127.0.0.1" });
    });
});

describe("laptop journey: host ports, the gitea switch, remote repositories (mocked runs)", function () {
    this.timeout(60_000);

    it("carries a non-default https port in every URL the stack writes or uses", async () => {
        const run = await runStackFileOk("dev", (c) => {
            c["fawkes:cluster"] = { ...(c["fawkes:cluster"] as object), hostPorts: { http: 8080, https: 8443 } };
        });
        const urls = run.outputs.urls as Record<string, string>;
        assert.equal(urls["argo-cd"], "https://argocd.fawkes.localtest.me:8443");
        assert.ok(Object.values(urls).every((u) => u.endsWith(":8443")));
        const credentials = run.outputs.credentials as Record<string, { url: string }>;
        assert.ok(Object.values(credentials).every((c) => c.url.endsWith(":8443")));
        assert.equal((run.outputs.vault as { address: string }).address, "https://vault.fawkes.localtest.me:8443");
        const vaultProvider = run.resources.find((r) => r.type === "pulumi:providers:vault")!;
        // The Vault provider goes through the API server, not the ingress: no host port in its address.
        assert.match(String(vaultProvider.inputs.address), /^https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/vault\/services\/http:vault:8200\/proxy$/);
        assert.equal(named(run, seedType, "git-seed")!.inputs.url, "https://git.fawkes.localtest.me:8443/fawkes/platform.git");
        const kind = run.resources.find((r) => r.type === "command:local:Command" && r.name.endsWith("-kind"))!;
        const kindConfig = parse(String((kind.inputs.environment as { KIND_CONFIG: string }).KIND_CONFIG)) as { nodes: { extraPortMappings?: unknown[] }[] };
        assert.deepEqual(kindConfig.nodes[0].extraPortMappings, [
            { containerPort: 80, hostPort: 8080, listenAddress: "127.0.0.1", protocol: "TCP" },
            { containerPort: 443, hostPort: 8443, listenAddress: "127.0.0.1", protocol: "TCP" },
        ]);
        // Apps' own external URL settings, in the seeded tree.
        const files = named(run, seedType, "git-seed")!.inputs.files as Record<string, string>;
        assert.match(files["platform/dev/apps/backstage.yaml"], /baseUrl: https:\/\/backstage\.fawkes\.localtest\.me:8443/);
        assert.match(files["platform/dev/apps/harbor.yaml"], /externalURL: https:\/\/harbor\.fawkes\.localtest\.me:8443/);
        const gitRelease = ofType(run, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "git")!;
        assert.equal((gitRelease.inputs.values as { gitea: { config: { server: { ROOT_URL: string } } } }).gitea.config.server.ROOT_URL, "https://git.fawkes.localtest.me:8443/");
    });

    it("refuses the gitea app beside the in-cluster Git server (one Gitea, not two)", async () => {
        const run = await runStackFile("dev", (c) => (c["fawkes:apps"] = { gitea: true }));
        const problem = asConfigError(run.error)?.problems.find((p) => p.key === "fawkes:apps.gitea");
        assert.ok(problem, String(run.error));
        assert.match(problem.allowed, /already Gitea/);
        assert.equal(run.resources.length, 0, "nothing may be registered");
    });

    // prod syncs platform/prod/ from a remote repository; with the operator token its Vault layer runs.
    const remoteChange = (credentials: Record<string, string>, repoURL = "https://github.com/acme/fawkes-platform.git") => (c: StackConfig) => {
        c["fawkes:gitops"] = { ...(c["fawkes:gitops"] as object), repoURL, credentials };
        c["fawkes:vaultToken"] = "hvs.operator-token";
    };
    const token = "ghp_TopSecretTokenValue1234567890";

    it("delivers a remote repository's credentials through Vault and External Secrets, never in plaintext", async () => {
        const run = await runStackFile("prod", remoteChange({ username: "x-access-token", token }), { secretKeys: ["fawkes:gitops", "fawkes:vaultToken"] });
        assert.equal(run.error, undefined, String(run.error));
        // In Vault: a secret KV entry at argocd/repository.
        const kv = ofType(run, "vault:kv/secretV2:SecretV2").find((r) => r.inputs.name === "argocd/repository")!;
        assert.ok(kv, "no repository secret in Vault");
        assert.ok(kv.secretInputs.includes("dataJson"));
        assert.deepEqual(JSON.parse(String(kv.inputs.dataJson)), { url: "https://github.com/acme/fawkes-platform.git", type: "git", username: "x-access-token", password: token });
        // In argocd: an ExternalSecret that makes the labelled repository Secret, and the root app waits for it.
        const es = ofType(run, externalSecretType).find((r) => (r.inputs.metadata as { name: string }).name === "fawkes-platform-repository")!;
        assert.ok(es);
        const spec = es.inputs.spec as { target: { template: { metadata: { labels: Record<string, string> } } }; data: { secretKey: string; remoteRef: { key: string } }[] };
        assert.equal(spec.target.template.metadata.labels["argocd.argoproj.io/secret-type"], "repository");
        assert.deepEqual(spec.data.map((d) => d.secretKey).sort(), ["password", "type", "url", "username"]);
        assert.ok(spec.data.every((d) => d.remoteRef.key === "argocd/repository"));
        const root = applications(run).find((a) => (a.inputs.metadata as { name: string }).name === "fawkes-platform")!;
        assert.ok(root.dependencies.includes(es.urn));
        assert.equal((root.inputs.spec as { source: { repoURL: string } }).source.repoURL, "https://github.com/acme/fawkes-platform.git");
        // No Git server, no seed on a remote stack; the wait follows the branch, not a commit.
        assert.equal(ofType(run, dynamicType).filter((r) => r.name === "platform-sync").length, 1);
        assert.equal(named(run, seedType, "git-seed"), undefined);
        assert.equal(ofType(run, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "git"), undefined);
        assert.equal(named(run, dynamicType, "platform-sync")!.inputs.revision, undefined);
        // Nowhere in plaintext: every input holding the token is a secret one, and no output has it.
        const leaks = run.resources.flatMap((r) => strings(r.inputs).filter(([p, v]) => v.includes(token) && !underSecret(p, r.secretInputs)).map(([p]) => `${r.type} ${r.name} ${p}`));
        assert.deepEqual(leaks, []);
        const outputLeaks = strings(run.outputs).filter(([p, v]) => v.includes(token) && !underSecret(p, run.secretOutputs));
        assert.deepEqual(outputLeaks, []);
    });

    it("refuses credentials stored in plaintext, and credentials of the wrong form, naming the key and not the value", async () => {
        const plain = await runStackFile("prod", remoteChange({ username: "x-access-token", token }), { secretKeys: ["fawkes:vaultToken"] });
        const problem = asConfigError(plain.error)?.problems.find((p) => p.key === "fawkes:gitops.credentials");
        assert.ok(problem, String(plain.error));
        assert.match(problem.allowed, /pulumi config set --secret --path fawkes:gitops\.credentials/);
        assert.ok(!plain.error!.message.includes(token), "the error shows the token");
        const ssh = await runStackFile("prod", remoteChange({ sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }), { secretKeys: ["fawkes:gitops", "fawkes:vaultToken"] });
        const sshProblem = asConfigError(ssh.error)?.problems.find((p) => p.key === "fawkes:gitops.credentials");
        assert.ok(sshProblem, String(ssh.error));
        assert.match(sshProblem.allowed, /an https URL/);
        assert.ok(!ssh.error!.message.includes("BEGIN OPENSSH"));
    });

    it("takes an ssh key with known hosts for an ssh URL", async () => {
        const knownHost = "git.acme.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        const run = await runStackFile(
            "prod",
            (c) => {
                remoteChange({ sshPrivateKey: "KEYDATA" }, "git@git.acme.example:platform/fawkes.git")(c);
                (c["fawkes:gitops"] as Record<string, unknown>).sshKnownHosts = [knownHost];
            },
            { secretKeys: ["fawkes:gitops", "fawkes:vaultToken"] },
        );
        assert.equal(run.error, undefined, String(run.error));
        const argo = ofType(run, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "argo-cd")!;
        assert.equal((argo.inputs.values as { configs: { ssh: { extraHosts: string } } }).configs.ssh.extraHosts, knownHost);
        const es = ofType(run, externalSecretType).find((r) => (r.inputs.metadata as { name: string }).name === "fawkes-platform-repository")!;
        assert.deepEqual((es.inputs.spec as { data: { secretKey: string }[] }).data.map((d) => d.secretKey).sort(), ["sshPrivateKey", "type", "url"]);
    });

    it("requires a repository on eks and aks: the in-cluster server is for kind", async () => {
        const run = await runStackFile("prod", (c) => (c["fawkes:gitops"] = { targetRevision: "main" }));
        const problem = asConfigError(run.error)?.problems.find((p) => p.key === "fawkes:gitops.repoURL");
        assert.ok(problem, String(run.error));
        assert.match(problem.allowed, /required on eks/);
    });
});

describe("laptop journey: a stale committed tree stops a remote stack's preview", function () {
    this.timeout(60_000);
    const file = path.join(projectRoot, "platform/prod/apps/grafana.yaml");
    const extra = path.join(projectRoot, "platform/prod/apps/left-over.yaml");
    let original: string;
    before(() => {
        original = fs.readFileSync(file, "utf8");
    });
    after(() => {
        fs.writeFileSync(file, original);
        fs.rmSync(extra, { force: true });
    });

    it("fails with one message naming the stale files and the command that regenerates them", async () => {
        fs.writeFileSync(file, original.replace("grafana", "grafana-edited-by-hand"));
        fs.writeFileSync(extra, "kind: ConfigMap\n");
        const run = await runStackFile("prod");
        assert.ok(run.error, "the run should fail");
        assert.match(run.error.message, /platform\/prod\/ is stale/);
        assert.match(run.error.message, /platform\/prod\/apps\/grafana\.yaml/);
        assert.match(run.error.message, /platform\/prod\/apps\/left-over\.yaml/);
        assert.match(run.error.message, /npm run gitops/);
        assert.equal(run.resources.filter((r: CapturedResource) => r.custom).length, 0, "nothing may be registered");
    });

    it("passes again once the tree is regenerated", async () => {
        fs.writeFileSync(file, original);
        fs.rmSync(extra, { force: true });
        const run = await runStackFile("prod");
        assert.equal(run.error, undefined, String(run.error));
    });
});
