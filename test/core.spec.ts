import * as assert from "node:assert/strict";
import { platformSecretSpecs } from "../components/platform-secrets";
import { ClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer";
import { getPath } from "../components/addons/helm";
import { admissionRuleNames } from "../components/addons/admission-rules";
import { stackAdmissionRules } from "../components/addons/kyverno";
import { policyExceptions, policyNames, validatingPolicies, validatingPolicy } from "../components/addons/kyverno-policies";
import { namespaceQuota, quotaHard } from "../components/budget";
import { type CatalogApp, coreAddons, enabledGitopsApps, withAcmeSolver } from "../components/catalog";
import { reachable } from "../policy/lib/graph";
import { coreEdges } from "../scripts/lib/graph";
import { type CapturedResource, ofType, type RunResult, runStackFileOk, runWithOperatorTokenOk } from "../scripts/lib/harness";

const releaseType = "kubernetes:helm.sh/v3:Release";
const poolLabel = "fawkes.dev/pool";

/** The core add-ons of a run, with the ACME solver pods their namespaces hold when certificates come from Let's Encrypt. */
const catalogFor = (run: RunResult): CatalogApp[] => {
    const o = run.outputs as {
        clusterProvider: "kind" | "eks" | "aks";
        ha: boolean;
        ingressController: "traefik" | "ingress-nginx";
        tls: { clusterIssuer: string; acmeSolver?: string };
        gitops: { source: string };
        dns: { managedBy: string; provider?: "route53" | "azure-dns" };
    };
    // DNS-01 (fawkes:tls.solver) runs no solver pods; fawkes:dns adds external-dns.
    const acme = o.tls.clusterIssuer.startsWith("letsencrypt") && o.tls.acmeSolver !== "dns01";
    const dns = o.dns.managedBy === "external-dns" ? o.dns.provider : undefined;
    return coreAddons({ provider: o.clusterProvider, ha: o.ha, ingressController: o.ingressController, gitServer: o.gitops.source === "in-cluster", dns }).map((app) => withAcmeSolver(app, acme));
};
const releaseOf = (run: RunResult, app: CatalogApp) => ofType(run, releaseType).find((r) => r.inputs.name === app.name)!;
/** A container spec named `name` anywhere in a release's values (an extraContainers entry). */
const writtenContainer = (values: unknown, name: string): { resources?: unknown } | undefined => {
    if (Array.isArray(values)) {
        return values.map((v) => writtenContainer(v, name)).find((c) => c !== undefined);
    }
    if (typeof values !== "object" || values === null) {
        return undefined;
    }
    const obj = values as Record<string, unknown>;
    return obj.name === name && "resources" in obj ? obj : Object.values(obj).map((v) => writtenContainer(v, name)).find((c) => c !== undefined);
};
/** Whether `path` lies inside one of the secret paths the harness recorded. */
const coveredBySecret = (path: string, secretPaths: readonly string[]) =>
    secretPaths.some((s) => s === "" || path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));

describe("platform core (mocked runs)", function () {
    this.timeout(30_000);
    const runs: Record<string, RunResult> = {};

    before(async () => {
        runs.dev = await runStackFileOk("dev");
        runs.prod = await runStackFileOk("prod");
        runs["prod-aks"] = await runStackFileOk("prod-aks");
        runs["prod-with-token"] = await runWithOperatorTokenOk("prod");
    });

    for (const stack of ["dev", "prod", "prod-aks"]) {
        describe(stack, () => {
            it("installs every core add-on as an exactly pinned, atomic Helm release with a timeout, in its own namespace", () => {
                const run = runs[stack];
                const apps = catalogFor(run);
                assert.equal(ofType(run, releaseType).length, apps.length);
                for (const app of apps) {
                    const release = releaseOf(run, app);
                    assert.ok(release, `${app.name} has a release`);
                    const i = release.inputs;
                    assert.match(String(i.version), /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, `${app.name}: exact chart version`);
                    assert.equal(i.version, app.chart.version);
                    assert.equal(i.chart, app.chart.name);
                    assert.match(String((i.repositoryOpts as { repo: string }).repo), /^https:\/\//);
                    assert.equal(i.atomic, true, `${app.name}: atomic`);
                    assert.equal(i.cleanupOnFail, true);
                    assert.ok(Number(i.timeout) > 0 && Number(i.timeout) <= 1800, `${app.name}: timeout`);
                    assert.equal(i.createNamespace, false);
                    assert.equal(i.namespace, app.namespace);
                    const ns = ofType(run, "kubernetes:core/v1:Namespace").find((n) => (n.inputs.metadata as { name: string }).name === app.namespace)!;
                    assert.ok(release.dependencies.includes(ns.urn), `${app.name}: installs into the namespace the tenancy layer created`);
                    assert.deepEqual(release.ignoreChanges, []);
                }
            });

            it("writes the catalog's resources, replicas and pool placement into each release's values", () => {
                const run = runs[stack];
                for (const app of catalogFor(run)) {
                    const values = releaseOf(run, app).inputs.values;
                    // Pods an operator makes (ACME solvers) take their resources from the issuer, not the chart.
                    for (const workload of app.workloads.filter((w) => w.createdBy === undefined)) {
                        for (const c of workload.containers) {
                            // A container the program writes into a values list itself (Vault's reload sidecar) has no path: found by name.
                            const given = c.resourcesPath === undefined ? writtenContainer(values, c.name)?.resources : getPath(values, c.resourcesPath);
                            assert.ok(given !== undefined, `${app.name}/${c.name}: a core add-on's chart pods all take resources from its values`);
                            assert.deepEqual(given, { requests: c.requests, limits: c.limits }, `${app.name} ${c.resourcesPath ?? c.name}`);
                        }
                        if (workload.replicasPath) {
                            assert.equal(getPath(values, workload.replicasPath), workload.replicas, `${app.name} ${workload.replicasPath}`);
                        }
                        if (workload.placementPath !== undefined) {
                            const prefix = workload.placementPath === "" ? "" : `${workload.placementPath}.`;
                            assert.deepEqual(getPath(values, `${prefix}nodeSelector`), { [poolLabel]: app.pool }, `${app.name} ${prefix}nodeSelector`);
                        }
                    }
                }
            });

            it("counts an ACME solver pod in the quota of every namespace with a UI, on Let's Encrypt stacks only", () => {
                const run = runs[stack];
                const vault = catalogFor(run).find((a) => a.name === "vault")!;
                const solvers = vault.workloads.filter((w) => w.name === "cm-acme-http-solver");
                // dev: the local CA; prod: DNS-01 (fawkes:tls.solver), which runs no solver pod.
                assert.equal(solvers.length, stack === "prod-aks" ? 1 : 0);
            });

            it("gives every add-on namespace the fawkes labels, a quota derived from the catalog and a LimitRange", () => {
                const run = runs[stack];
                const pools = run.outputs.nodePools as { name: string; count: number }[];
                for (const app of catalogFor(run)) {
                    const ns = ofType(run, "kubernetes:core/v1:Namespace").find((n) => (n.inputs.metadata as { name: string }).name === app.namespace)!;
                    const labels = (ns.inputs.metadata as { labels: Record<string, string> }).labels;
                    assert.equal(labels[poolLabel], app.pool);
                    assert.equal(labels["app.kubernetes.io/part-of"], "fawkes");
                    const quota = ofType(run, "kubernetes:core/v1:ResourceQuota").find((q) => (q.inputs.metadata as { namespace: string }).namespace === app.namespace)!;
                    const nodes = { pool: pools.find((p) => p.name === app.pool)!.count, cluster: pools.reduce((n, p) => n + p.count, 0) };
                    assert.deepEqual((quota.inputs.spec as { hard: unknown }).hard, quotaHard(namespaceQuota(app, nodes)), app.name);
                    const limits = ofType(run, "kubernetes:core/v1:LimitRange").find((q) => (q.inputs.metadata as { namespace: string }).namespace === app.namespace)!;
                    const [container] = (limits.inputs.spec as { limits: { type: string; defaultRequest: Record<string, string> }[] }).limits;
                    assert.equal(container.type, "Container");
                    assert.ok(container.defaultRequest.cpu && container.defaultRequest.memory);
                }
            });

            it("keeps every generated secret a Pulumi secret wherever it appears", () => {
                const run = runs[stack];
                const generated = [
                    ...ofType(run, "random:index/randomPassword:RandomPassword").flatMap((p) => [String(p.state.result), String(p.state.bcryptHash)]),
                    ...ofType(run, "tls:index/privateKey:PrivateKey").map((k) => String(k.state.privateKeyPem)),
                ];
                assert.ok(generated.length >= 20, "the platform generates its credentials");
                const leaks: string[] = [];
                for (const r of run.resources) {
                    for (const path of pathsContaining(r.inputs, generated)) {
                        if (!coveredBySecret(path, r.secretInputs)) {
                            leaks.push(`${r.type} ${r.name} input ${path}`);
                        }
                    }
                }
                for (const path of pathsContaining(run.outputs, generated)) {
                    if (!coveredBySecret(path, run.secretOutputs)) {
                        leaks.push(`stack output ${path}`);
                    }
                }
                assert.deepEqual(leaks, []);
            });
        });
    }

    describe("ordering", () => {
        /** The app-of-apps: projects wait for Argo CD; the root app for Argo CD, External Secrets and its projects. */
        const gitopsEdges = () => {
            const projects = [...enabledGitopsApps({}).map((a) => a.name), "fawkes-platform"].map((p) => `AppProject:${p}`);
            return [
                ...projects.map((p) => `${p} -> release:argo-cd`),
                "AppProjectPatch:default -> release:argo-cd",
                "Application:fawkes-platform -> release:argo-cd",
                "Application:fawkes-platform -> release:external-secrets",
                ...projects.map((p) => `Application:fawkes-platform -> ${p}`),
            ];
        };
        const families = policyNames;
        /** Kyverno's objects: each family's enforcing policy and audit twin, and the exceptions of the stack's apps, all after the release. */
        const kyvernoEdges = (run: RunResult) => [
            ...families.flatMap((p) => [`ValidatingPolicy:${p} -> release:kyverno`, `ValidatingPolicy:${p}-audit -> release:kyverno`]),
            // The cluster-wide boundary rules: one policy each, enforcing everywhere.
            ...admissionRuleNames.map((p) => `ValidatingPolicy:${p} -> release:kyverno`),
            // Grafana's ConfigMap-only Role in monitoring, granted by the program.
            "RoleBinding:grafana-configmap-reader -> Role:grafana-configmap-reader",
            ...policyExceptions([...catalogFor(run), ...enabledGitopsApps({})]).map((e) => `PolicyException:${e.metadata.name} -> release:kyverno`),
        ];

        const vaultProxyEdges = ["RoleBinding:pulumi-vault-config -> Role:pulumi-vault-config", "vault-provider -> RoleBinding:pulumi-vault-config"];

        it("dev: exactly the designed dependency edges between core components", () => {
            assert.deepEqual(
                coreEdges(runs.dev),
                [
                    ...kyvernoEdges(runs.dev),
                    "ClusterIssuer:fawkes-local-ca -> release:cert-manager",
                    "ExternalSecret:argocd-admin-credentials -> SecretStore:vault",
                    "ExternalSecret:argocd-admin-credentials -> release:external-secrets",
                    "SecretStore:vault -> release:external-secrets",
                    "SecretStore:vault -> vault-role",
                    // The provider reaches Vault through the API server, as the proxy account once it is bound.
                    ...vaultProxyEdges,
                    "vault-provider -> release:vault",
                    "vault-role -> vault-provider",
                    ...gitopsEdges(),
                ].sort(),
            );
        });

        it("prod: the same, with both ACME issuers, and no Vault layer until the operator's token is set", () => {
            const expected = (withVault: boolean) =>
                [
                    ...kyvernoEdges(runs.prod),
                    "ClusterIssuer:letsencrypt -> release:cert-manager",
                    "ClusterIssuer:letsencrypt-staging -> release:cert-manager",
                    // Vault's TLS: its CA issuer and server certificate, and the ingress controller's trust in that CA.
                    "Certificate:vault-server-tls -> release:cert-manager",
                    "Issuer:vault-ca -> release:cert-manager",
                    "ServersTransport:vault-tls -> release:traefik",
                    // The StatefulSet mounts the certificate's Secret: Vault installs once it is issued.
                    "release:vault -> Certificate:vault-server-tls",
                    "ExternalSecret:argocd-admin-credentials -> SecretStore:vault",
                    "ExternalSecret:argocd-admin-credentials -> release:external-secrets",
                    "SecretStore:vault -> release:external-secrets",
                    ...gitopsEdges(),
                    ...(withVault
                        ? ["SecretStore:vault -> vault-role", ...vaultProxyEdges, "vault-provider -> release:vault", "vault-role -> vault-provider"]
                        : []),
                ].sort();
            assert.deepEqual(coreEdges(runs.prod), expected(false));
            assert.deepEqual(coreEdges(runs["prod-with-token"]), expected(true));
        });

        it("installs every Helm release in one parallel step after the cluster, but HA Vault after cert-manager (its TLS certificate)", () => {
            for (const [stack, run] of Object.entries(runs)) {
                const releases = ofType(run, releaseType);
                const closure = dependencyClosure(run);
                const ha = run.outputs.ha === true;
                for (const release of releases) {
                    const waitsOn = releases.filter((other) => other !== release && closure(release).has(other.urn));
                    assert.deepEqual(
                        waitsOn.map((r) => r.inputs.name),
                        ha && release.inputs.name === "vault" ? ["cert-manager"] : [],
                        `${stack}: what ${String(release.inputs.name)} waits on`,
                    );
                }
            }
        });
    });

    describe("switches", () => {
        it("ha: replicas, raft with cloud auto-unseal, and redis-ha flip with fawkes:ha", async () => {
            const nonHa = await runStackFileOk("prod", (c) => (c["fawkes:ha"] = false));
            const values = (run: RunResult, name: string) => ofType(run, releaseType).find((r) => r.inputs.name === name)!.inputs.values;

            assert.equal(getPath(values(runs.prod, "kyverno"), "admissionController.replicas"), 3);
            assert.equal(getPath(values(nonHa, "kyverno"), "admissionController.replicas"), 1);

            assert.equal(getPath(values(runs.prod, "vault"), "server.ha.enabled"), true);
            assert.equal(getPath(values(runs.prod, "vault"), "server.ha.replicas"), 3);
            const raft = String(getPath(values(runs.prod, "vault"), "server.ha.raft.config"));
            const unsealKey = ofType(runs.prod, "aws:kms/key:Key").find((k) => k.name.includes("vault-unseal"))!;
            assert.match(raft, new RegExp(`seal "awskms" \\{\\s*region\\s*= "eu-west-1"\\s*kms_key_id = "${String(unsealKey.state.keyId)}"`));
            assert.match(raft, /retry_join/);
            assert.equal(unsealKey.protect, true);
            // Without ha: the in-memory dev server, run through the chart's standalone mode (which keeps its placement).
            assert.equal(getPath(values(nonHa, "vault"), "server.standalone.enabled"), true);
            assert.match(String(getPath(values(nonHa, "vault"), "server.extraArgs")), /^-dev /);
            assert.equal(getPath(values(nonHa, "vault"), "server.dev"), undefined);
            assert.equal(getPath(values(nonHa, "vault"), "server.ha"), undefined);
            assert.ok(!ofType(nonHa, "aws:kms/key:Key").some((k) => k.name.includes("vault-unseal")));

            assert.equal(getPath(values(runs.prod, "argo-cd"), "redis-ha.enabled"), true);
            assert.equal(getPath(values(nonHa, "argo-cd"), "redis-ha"), undefined);

            const aksRaft = String(getPath(values(runs["prod-aks"], "vault"), "server.ha.raft.config"));
            assert.match(aksRaft, /seal "azurekeyvault" \{\s*vault_name = "fawkes-prod-aks-unseal"\s*key_name\s*= "vault-unseal"/);
            assert.equal(getPath(values(runs["prod-aks"], "vault"), "server.extraLabels.azure.workload.identity/use"), undefined, "label keys with dots are not paths");
            assert.deepEqual(getPath(values(runs["prod-aks"], "vault"), "server.extraLabels"), { "azure.workload.identity/use": "true" });
        });

        it("never stores unseal or recovery keys in a Kubernetes Secret", () => {
            for (const run of Object.values(runs)) {
                const secrets = ofType(run, "kubernetes:core/v1:Secret");
                assert.deepEqual(
                    secrets.map((s) => (s.inputs.metadata as { name: string }).name).sort(),
                    // kind: the local CA, the dev Vault's root token (a dev server has no unseal keys) and the Git server's admin login;
                    // ha: Vault's internal CA (it signs only Vault's certificate) and its public certificate. With the Vault
                    // layer, the token of the account that may only proxy to Vault's API.
                    [
                        ...(run.outputs.clusterProvider === "kind" ? ["fawkes-local-ca", "git-admin", "vault-dev-root-token"] : ["vault-ca", "vault-ca-bundle"]),
                        ...(ofType(run, "pulumi:providers:vault").length > 0 ? ["pulumi-vault-config-token"] : []),
                    ].sort(),
                );
            }
        });

        it("says so, and skips only the Vault configuration layer, while an ha Vault has no token", () => {
            assert.ok(runs.prod.warnings.some((w) => /fawkes:vaultToken is not set.*skipped/s.test(w)));
            assert.equal(runs.prod.resources.filter((r) => r.type.startsWith("vault:")).length, 0);
            assert.equal(ofType(runs.prod, releaseType).length, catalogFor(runs.prod).length);
            const withToken = runs["prod-with-token"];
            assert.ok(!withToken.warnings.some((w) => w.includes("vaultToken")));
            const [provider] = ofType(withToken, "pulumi:providers:vault");
            // Through the API server's service proxy, to the active node over TLS; never the public host.
            assert.match(String(provider.inputs.address), /^https:\/\/[^/]+\.eks\.amazonaws\.com\/api\/v1\/namespaces\/vault\/services\/https:vault-active:8200\/proxy$/);
            // Provider inputs reach the engine as strings.
            assert.equal(String(provider.inputs.skipTlsVerify), "false", "the API server is verified with the cluster's CA");
            assert.ok(provider.secretInputs.includes("token"));
            assert.equal(ofType(withToken, "vault:kv/secretV2:SecretV2").length, platformSecretSpecs.length);
        });

        it("configures Vault for External Secrets: KV v2, Kubernetes auth, a read-only policy and role per reading namespace (test/secrets-per-app.spec.ts)", () => {
            const run = runs.dev;
            const [mount] = ofType(run, "vault:index/mount:Mount");
            assert.deepEqual([mount.inputs.path, mount.inputs.type, (mount.inputs.options as { version: string }).version], ["platform", "kv", "2"]);
            const policy = ofType(run, "vault:index/policy:Policy").find((p) => p.inputs.name === "eso-argo-cd-read")!;
            assert.equal(String(policy.inputs.policy), 'path "platform/data/argocd/admin" {\n  capabilities = ["read"]\n}\n');
            const role = ofType(run, "vault:kubernetes/authBackendRole:AuthBackendRole").find((r) => r.inputs.roleName === "eso-argo-cd")!;
            assert.deepEqual([role.inputs.boundServiceAccountNames, role.inputs.boundServiceAccountNamespaces, role.inputs.audience], [["vault-secret-reader"], ["argocd"], "vault"]);
            const [provider] = ofType(run, "pulumi:providers:vault");
            assert.equal(String(provider.inputs.skipTlsVerify), "false", "the kind API server is verified with its own CA, through which the provider reaches Vault");
        });

        it("ingress: Traefik on host ports on kind, a LoadBalancer in the cloud, ingress-nginx when chosen", async () => {
            const values = (run: RunResult, name: string) => ofType(run, releaseType).find((r) => r.inputs.name === name)!.inputs.values;
            const kind = values(runs.dev, "traefik");
            assert.deepEqual([getPath(kind, "ports.web.hostPort"), getPath(kind, "ports.websecure.hostPort")], [80, 443]);
            assert.equal(getPath(kind, "service.spec.type"), "ClusterIP");
            assert.deepEqual(getPath(kind, "nodeSelector"), { [poolLabel]: "control-plane" });
            assert.deepEqual(getPath(kind, "tolerations"), [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]);
            assert.equal(getPath(kind, "ingressClass.isDefaultClass"), true);
            assert.equal(getPath(values(runs.prod, "traefik"), "service.spec.type"), "LoadBalancer");

            const nginx = await runStackFileOk("dev", (c) => (c["fawkes:ingress"] = { controller: "ingress-nginx" }));
            const v = values(nginx, "ingress-nginx");
            assert.equal(getPath(v, "controller.hostPort.enabled"), true);
            assert.equal(getPath(v, "controller.ingressClassResource.default"), true);
            assert.ok(!ofType(nginx, releaseType).some((r) => r.inputs.name === "traefik"));
            assert.match(nginx.warnings.join("\n"), /ingress-nginx.*retired/);
            assert.deepEqual(
                ofType(nginx, "kubernetes:networking.k8s.io/v1:Ingress").length,
                0,
                "apps' Ingresses come from the charts",
            );
        });

        it("Argo CD: ingress with TLS from the cluster issuer, bcrypt admin password, Application health check", () => {
            const values = ofType(runs.dev, releaseType).find((r) => r.inputs.name === "argo-cd")!.inputs.values;
            assert.equal(getPath(values, "server.ingress.hostname"), "argocd.fawkes.localtest.me");
            assert.equal(getPath(values, "server.ingress.tls"), true);
            assert.deepEqual(getPath(values, "server.ingress.annotations"), { "cert-manager.io/cluster-issuer": "fawkes-local-ca" });
            const hash = String(getPath(values, "configs.secret.argocdServerAdminPassword"));
            const admin = ofType(runs.dev, "random:index/randomPassword:RandomPassword").find((p) => p.name.includes("argocd-admin"))!;
            assert.equal(hash, admin.state.bcryptHash, "the hash of the generated password, not a fixed one");
            assert.match(String((getPath(values, "configs.cm") as Record<string, string>)["resource.customizations.health.argoproj.io_Application"]), /obj\.status\.health/);
        });
    });

    describe("custom resources validate against their CRD schemas", () => {
        const customResources = (run: RunResult, kind: string) => run.resources.filter((r) => r.type.endsWith(`:${kind}`) && r.type.startsWith("kubernetes:"));

        it("ClusterIssuers (cert-manager.io/v1)", () => {
            for (const run of Object.values(runs)) {
                for (const r of customResources(run, "ClusterIssuer")) {
                    new ClusterIssuer(r.inputs as ConstructorParameters<typeof ClusterIssuer>[0]).validate();
                }
            }
            assert.equal(customResources(runs.prod, "ClusterIssuer").length, 2);
        });

        it("ValidatingPolicies and PolicyExceptions (policies.kyverno.io/v1): the designed objects (their CRD schemas: test/admission.spec.ts)", () => {
            for (const run of Object.values(runs)) {
                const byName = (objects: { metadata: unknown }[]) => objects.sort((a, b) => String((a.metadata as { name: string }).name).localeCompare((b.metadata as { name: string }).name));
                const registered = (kind: string) => byName(customResources(run, kind).filter((r) => r.type.startsWith("kubernetes:policies.kyverno.io/v1:")).map((r) => r.inputs as { metadata: unknown }));
                const apps = [...catalogFor(run), ...enabledGitopsApps({})];
                assert.deepEqual(registered("ValidatingPolicy"), byName([...validatingPolicies(), ...stackAdmissionRules(apps, String(run.outputs.domain))]));
                assert.deepEqual(registered("PolicyException"), byName(policyExceptions(apps)));
            }
            assert.equal(customResources(runs.dev, "ValidatingPolicy").length, 2 * policyNames.length + admissionRuleNames.length);
        });

        it("SecretStore and ExternalSecret (external-secrets.io/v1)", async () => {
            const { SecretStore } = await import("@kubernetes-models/external-secrets/external-secrets.io/v1/SecretStore");
            const { ExternalSecret } = await import("@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret");
            for (const run of Object.values(runs)) {
                for (const store of customResources(run, "SecretStore")) {
                    new SecretStore(store.inputs).validate();
                }
                const [secret] = customResources(run, "ExternalSecret");
                new ExternalSecret(secret.inputs).validate();
            }
            const [store] = customResources(runs.dev, "SecretStore");
            const broken = { ...store.inputs, spec: { provider: { vault: { server: 8200 } } } } as unknown as ConstructorParameters<typeof SecretStore>[0];
            assert.throws(() => new SecretStore(broken).validate(), "a malformed store is rejected");
        });
    });

    describe("Kyverno policies", () => {
        it("enforce in platform namespaces, audit elsewhere, and turn a documented exception into a PolicyException for that app's workloads only", () => {
            type Spec = { validationActions: string[]; failurePolicy?: string; matchConstraints: { namespaceSelector: unknown } };
            const enforce = validatingPolicy("disallow-host-namespaces", "enforce");
            const audit = validatingPolicy("disallow-host-namespaces", "audit");
            assert.deepEqual((enforce.spec as Spec).validationActions, ["Deny"]);
            assert.deepEqual((enforce.spec as Spec).matchConstraints.namespaceSelector, { matchLabels: { "app.kubernetes.io/part-of": "fawkes" } });
            assert.equal(audit.metadata.name, "disallow-host-namespaces-audit");
            assert.deepEqual((audit.spec as Spec).validationActions, ["Audit"]);
            assert.equal((audit.spec as Spec).failurePolicy, "Ignore");
            assert.deepEqual((audit.spec as Spec).matchConstraints.namespaceSelector, { matchExpressions: [{ key: "app.kubernetes.io/part-of", operator: "NotIn", values: ["fawkes"] }] });

            // Without its own exceptions (on kind, traefik has one for its host ports).
            const app = { ...coreAddons({ provider: "kind", ha: false, ingressController: "traefik" })[0], policyExceptions: [] };
            const withException: CatalogApp = { ...app, policyExceptions: [{ policy: "disallow-host-namespaces", reason: "test", workloads: ["agent"] }] };
            const [exception, ...more] = policyExceptions([app, withException]);
            const spec = exception.spec as { policyRefs: unknown; matchConditions: { expression: string }[] };
            assert.equal(more.length, 0, "one exception: only the app that documents one");
            assert.equal(exception.metadata.namespace, "kyverno");
            assert.equal(exception.metadata.annotations?.["fawkes.dev/reason"], "test");
            assert.deepEqual(spec.policyRefs, [
                { name: "disallow-host-namespaces", kind: "ValidatingPolicy" },
                { name: "disallow-host-namespaces-audit", kind: "ValidatingPolicy" },
            ]);
            assert.equal(spec.matchConditions[0].expression, `request.namespace == '${app.namespace}'`);
            assert.match(spec.matchConditions[1].expression, /^\['agent'\]\.exists\(w, /);
            assert.ok(JSON.stringify(validatingPolicies()).includes("NotIn") && !JSON.stringify(validatingPolicies()).includes(app.namespace), "the policies themselves name no app");
            assert.throws(() => policyExceptions([{ ...app, policyExceptions: [{ policy: "no-such-policy", reason: "test", workloads: ["agent"] }] }]), /unknown policy no-such-policy/);
        });
    });
});

/** Paths in `value` whose string contains one of `needles`. */
function pathsContaining(value: unknown, needles: string[], at = ""): string[] {
    if (typeof value === "string") {
        return needles.some((n) => n.length > 0 && value.includes(n)) ? [at] : [];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v, i) => pathsContaining(v, needles, `${at}[${i}]`));
    }
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => pathsContaining(v, needles, at === "" ? k : `${at}.${k}`));
    }
    return [];
}

/** Every resource a resource waits on, directly or through others. */
function dependencyClosure(run: RunResult): (r: CapturedResource) => Set<string> {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    return (start) => reachable(start.dependencies, (urn) => byUrn.get(urn)?.dependencies ?? []);
}
