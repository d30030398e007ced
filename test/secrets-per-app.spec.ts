// Secrets per app: every namespace that reads platform secrets has its own SecretStore,
// service account, Vault role and policy, and the policy (read with a model of Vault's own
// path rules) allows exactly what that namespace's ExternalSecrets read: nothing of another
// app, and the Argo CD admin credential only from argocd.

import * as assert from "node:assert/strict";
import { gitopsApps, secretsOf } from "../components/catalog";
import { platformTree, valuesContext } from "../components/gitops/manifests";
import { platformSecretSpecs } from "../components/platform-secrets";
import { repositoryVaultPath } from "../components/gitops/repository-credentials";
import { dataPath, policyDocument, secretReaders } from "../components/vault-policies";
import type { PlatformConfig } from "../components/config-types";
import { ofType, type RunResult, runStackFile, runStackFileOk } from "../scripts/lib/harness";
import { stackConfig } from "../scripts/lib/stacks";
import { allows, capabilitiesOn, comparePriority, matches, parsePolicy, type PathRule } from "./support/vault-acl";

describe("Vault policy path rules (the model, from Vault's policy documentation)", () => {
    const read = (pattern: string) => [{ pattern, capabilities: ["read"] }];

    it("an exact path matches only itself", () => {
        assert.ok(matches("secret/foo", "secret/foo"));
        assert.ok(!matches("secret/foo", "secret/food"));
        assert.ok(!matches("secret/foo", "secret/foo/bar"));
    });

    it("a trailing * is a prefix match, across segments", () => {
        assert.ok(matches("secret/bar/*", "secret/bar/zip"));
        assert.ok(matches("secret/bar/*", "secret/bar/zip/zap"));
        assert.ok(!matches("secret/bar/*", "secret/bars/zip"));
        assert.ok(matches("secret/zip-*", "secret/zip-zap"));
        assert.ok(matches("secret/zip-*", "secret/zip-zap/zong"));
        assert.ok(!matches("secret/zip-*", "secret/zip/zap"));
    });

    it("a + matches exactly one segment", () => {
        assert.ok(matches("secret/+/teamb", "secret/foo/teamb"));
        assert.ok(!matches("secret/+/teamb", "secret/foo/bar/teamb"));
        assert.ok(!matches("secret/+/teamb", "secret/teamb"));
        assert.ok(matches("secret/+/+/teamb", "secret/foo/bar/teamb"));
        assert.ok(matches("platform/data/+/postgres", "platform/data/harbor/postgres"));
        assert.ok(!matches("platform/data/+/postgres", "platform/data/harbor/core"));
    });

    it("refuses patterns outside the documented rules (a * before the end, a + inside a segment)", () => {
        assert.throws(() => matches("secret/*/foo", "secret/a/foo"), /only as the last character/);
        assert.throws(() => matches("secret/a+b", "secret/axb"), /whole segment/);
        assert.throws(() => parsePolicy('path "secret/*/x" { capabilities = ["read"] }'), /last character/);
    });

    it("ranks matching patterns by the five priority rules", () => {
        // 1: the first wildcard later wins; an exact path (no wildcard) beats every glob.
        assert.ok(comparePriority("secret/foo/*", "secret/*") > 0);
        assert.ok(comparePriority("secret/foo", "secret/foo*") > 0);
        // 2: same first wildcard, no trailing * wins.
        assert.ok(comparePriority("secret/a/+", "secret/a/*") > 0);
        // 3: fewer + segments win (the documentation's own example).
        assert.ok(comparePriority("secret/*", "secret/+/+/foo/*") > 0);
        // 4: longer wins; 5: lexicographically larger wins.
        assert.ok(comparePriority("secret/+/abc*", "secret/+/a*") > 0);
        assert.ok(comparePriority("secret/+/b*", "secret/+/a*") > 0);
    });

    it("applies only the highest-priority match: a narrower rule without read takes read away", () => {
        const policy = [...read("secret/*"), { pattern: "secret/x", capabilities: ["list"] }];
        assert.ok(allows([policy], "secret/y"));
        assert.ok(!allows([policy], "secret/x"));
        // The documentation's example: secret/* outranks secret/+/+/foo/*, so its read applies.
        assert.ok(allows([[...read("secret/*"), { pattern: "secret/+/+/foo/*", capabilities: ["deny"] }]], "secret/a/b/foo/c"));
    });

    it("deny on the applying pattern refuses; the same pattern in two policies is the union", () => {
        const policy = parsePolicy(`
# everything under secret/, but not the super secret
path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "secret/super-secret" {
  capabilities = ["deny"]
}
`);
        assert.ok(allows([policy], "secret/other"));
        assert.ok(!allows([policy], "secret/super-secret"));
        assert.deepEqual([...capabilitiesOn([[{ pattern: "secret/x", capabilities: ["list"] }], read("secret/x")], "secret/x")].sort(), ["list", "read"]);
        assert.ok(!allows([[{ pattern: "secret/x", capabilities: ["read"] }], [{ pattern: "secret/x", capabilities: ["deny"] }]], "secret/x"));
        assert.ok(!allows([], "secret/x"), "deny by default");
    });

    it("refuses policy text it cannot read, instead of passing it unexamined", () => {
        assert.throws(() => parsePolicy('path "secret/x" { capabilities = ["read"] allowed_parameters = {} }'), /does not read/);
        assert.throws(() => parsePolicy('path "secret/x" { capabilities = ["raed"] }'), /unknown capability/);
    });
});

// ---------------------------------------------------------------------------------------

const types = {
    policy: "vault:index/policy:Policy",
    role: "vault:kubernetes/authBackendRole:AuthBackendRole",
    store: "kubernetes:external-secrets.io/v1:SecretStore",
    clusterStore: "kubernetes:external-secrets.io/v1:ClusterSecretStore",
    externalSecret: "kubernetes:external-secrets.io/v1:ExternalSecret",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
};

interface ExternalSecretManifest {
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: { readonly secretStoreRef: { readonly kind: string; readonly name: string }; readonly data: readonly { readonly remoteRef: { readonly key: string } }[] };
}
interface Store {
    readonly namespace: string;
    readonly name: string;
    readonly role: string;
    readonly serviceAccount: string;
    readonly audiences: readonly string[];
}
interface Role {
    readonly name: string;
    readonly namespaces: readonly string[];
    readonly serviceAccounts: readonly string[];
    readonly audience?: string;
    readonly policies: readonly string[];
}

/** What decides a read: the stores, the Vault roles and policies, as a run registers them. */
interface SecretsView {
    readonly clusterStores: number;
    readonly stores: readonly Store[];
    readonly roles: readonly Role[];
    readonly policies: ReadonlyMap<string, readonly PathRule[]>;
}

function viewOf(run: RunResult): SecretsView {
    const stores = ofType(run, types.store).map((r) => {
        const metadata = r.inputs.metadata as { name: string; namespace: string };
        const auth = (r.inputs.spec as { provider: { vault: { auth: { kubernetes: { role: string; serviceAccountRef: { name: string; audiences: string[] } } } } } }).provider.vault.auth.kubernetes;
        return { namespace: metadata.namespace, name: metadata.name, role: auth.role, serviceAccount: auth.serviceAccountRef.name, audiences: auth.serviceAccountRef.audiences };
    });
    const roles = ofType(run, types.role).map((r) => {
        const i = r.inputs as { roleName: string; boundServiceAccountNamespaces: string[]; boundServiceAccountNames: string[]; audience?: string; tokenPolicies: string[] };
        return { name: i.roleName, namespaces: i.boundServiceAccountNamespaces, serviceAccounts: i.boundServiceAccountNames, audience: i.audience, policies: i.tokenPolicies };
    });
    const policies = new Map(ofType(run, types.policy).map((r) => [String(r.inputs.name), parsePolicy(String(r.inputs.policy))]));
    return { clusterStores: ofType(run, types.clusterStore).length, stores, roles, policies };
}

/**
 * Whether Vault would hand an ExternalSecret's store a token that reads `path`: the store must
 * be a SecretStore of the ExternalSecret's own namespace (there is no ClusterSecretStore to
 * name), its role must accept that namespace's reader account with a token of the Vault
 * audience, and the role's policies must allow `read` on the KV v2 data path.
 */
function readable(view: SecretsView, es: { namespace: string; storeRef: { kind: string; name: string } }, path: string): boolean {
    if (es.storeRef.kind !== "SecretStore") {
        return false;
    }
    const store = view.stores.find((s) => s.namespace === es.namespace && s.name === es.storeRef.name);
    const role = view.roles.find((r) => r.name === store?.role);
    if (store === undefined || role === undefined) {
        return false;
    }
    const logsIn =
        role.namespaces.includes(store.namespace) && role.serviceAccounts.includes(store.serviceAccount) && role.audience !== undefined && store.audiences.includes(role.audience);
    return logsIn && allows(role.policies.map((p) => view.policies.get(p) ?? []), dataPath(path));
}

const esOf = (m: ExternalSecretManifest) => ({ namespace: m.metadata.namespace, storeRef: m.spec.secretStoreRef, paths: [...new Set(m.spec.data.map((d) => d.remoteRef.key))] });

/** Every boundary the design promises, as a list of what is broken (empty: all hold). */
function boundaryProblems(view: SecretsView, externalSecrets: readonly ExternalSecretManifest[], everyPath: readonly string[]): string[] {
    const problems: string[] = [];
    if (view.clusterStores > 0) {
        problems.push(`${view.clusterStores} ClusterSecretStore(s): a store any namespace can name`);
    }
    const reads = new Map<string, Set<string>>();
    for (const m of externalSecrets) {
        const es = esOf(m);
        for (const path of es.paths) {
            reads.set(es.namespace, (reads.get(es.namespace) ?? new Set()).add(path));
            if (!readable(view, es, path)) {
                problems.push(`${es.namespace}/${m.metadata.name} cannot read ${path}`);
            }
        }
    }
    for (const role of view.roles) {
        if (role.namespaces.length !== 1 || role.namespaces.includes("*") || role.serviceAccounts.length !== 1 || role.serviceAccounts.includes("*") || !role.audience) {
            problems.push(`role ${role.name} is not bound to one service account of one namespace with an audience`);
        }
    }
    // Each namespace's store reads its own paths and nothing else the platform keeps.
    for (const store of view.stores) {
        const own = reads.get(store.namespace) ?? new Set<string>();
        for (const path of everyPath.filter((p) => !own.has(p))) {
            if (readable(view, { namespace: store.namespace, storeRef: { kind: "SecretStore", name: store.name } }, path)) {
                problems.push(`${store.namespace} can read ${path}, which none of its ExternalSecrets reads`);
            }
        }
    }
    return problems;
}

/** Every KV path the platform writes, whether or not a stack's app reads it, and paths no one writes. */
const everyPath = [...platformSecretSpecs.map((s) => s.path), repositoryVaultPath, "argocd/other", "backstage/backend-v2", "harbor/core/extra"];

function externalSecretsOf(run: RunResult, config: PlatformConfig): ExternalSecretManifest[] {
    const fromPulumi = ofType(run, types.externalSecret).map((r) => r.inputs as unknown as ExternalSecretManifest);
    const fromGit = [...platformTree(config).values()].filter((m) => m.kind === "ExternalSecret") as unknown as ExternalSecretManifest[];
    return [...fromPulumi, ...fromGit];
}

describe("secrets per app (mocked runs)", function () {
    this.timeout(30_000);
    const runs: Record<string, RunResult> = {};
    before(async () => {
        runs.dev = await runStackFileOk("dev");
        // prod with the operator's Vault token and a private repository: Argo CD reads argocd/repository too.
        const run = await runStackFile(
            "prod",
            (c) => {
                // The stack's own repository: the committed tree names it, so it must stay current.
                c["fawkes:gitops"] = { ...(c["fawkes:gitops"] as object), credentials: { username: "x-access-token", token: "ghp_x" } };
                c["fawkes:vaultToken"] = "hvs.operator-token";
            },
            { secretKeys: ["fawkes:gitops", "fawkes:vaultToken"] },
        );
        assert.equal(run.error, undefined, String(run.error));
        runs["prod-with-token"] = run;
    });
    const stackOf = { dev: "dev", "prod-with-token": "prod" } as const;

    for (const name of ["dev", "prod-with-token"] as const) {
        describe(name, () => {
            const view = () => viewOf(runs[name]);
            const secrets = () => externalSecretsOf(runs[name], stackConfig(stackOf[name]));

            it("every ExternalSecret reads through its own namespace's SecretStore, and every boundary holds", () => {
                const all = secrets();
                assert.ok(all.length >= 20, `${all.length} ExternalSecrets`);
                assert.ok(all.every((m) => m.spec.secretStoreRef.kind === "SecretStore"));
                assert.deepEqual(boundaryProblems(view(), all, everyPath), []);
            });

            it("a store, a reader account, a role and a policy per namespace that reads secrets; no ClusterSecretStore", () => {
                const v = view();
                const namespaces = [...new Set(secrets().map((m) => m.metadata.namespace))].sort();
                assert.equal(v.clusterStores, 0);
                assert.deepEqual(v.stores.map((s) => s.namespace).sort(), namespaces);
                assert.deepEqual(v.roles.flatMap((r) => r.namespaces).sort(), namespaces);
                assert.equal(v.policies.size, namespaces.length);
                const accounts = ofType(runs[name], types.serviceAccount).filter((a) => (a.inputs.metadata as { name: string }).name === "vault-secret-reader");
                assert.deepEqual(accounts.map((a) => (a.inputs.metadata as { namespace: string }).namespace).sort(), namespaces);
                assert.ok(accounts.every((a) => a.inputs.automountServiceAccountToken === false));
            });

            it("the policies are the catalog's: exact data paths, no glob, no metadata or list", () => {
                for (const rules of view().policies.values()) {
                    for (const rule of rules) {
                        assert.match(rule.pattern, /^platform\/data\/[a-z0-9-]+\/[a-z0-9-]+$/);
                        assert.deepEqual(rule.capabilities, ["read"]);
                    }
                }
                const backstage = view().roles.find((r) => r.namespaces.includes("backstage"))!;
                assert.deepEqual(view().policies.get(backstage.policies[0])!.map((r) => r.pattern), ["platform/data/backstage/backend", "platform/data/backstage/postgres"]);
            });

            it("argocd/admin is readable from argocd and from no other namespace", () => {
                const v = view();
                const from = (namespace: string) => readable(v, { namespace, storeRef: { kind: "SecretStore", name: "vault" } }, "argocd/admin");
                assert.ok(from("argocd"));
                assert.deepEqual(v.stores.map((s) => s.namespace).filter((ns) => ns !== "argocd" && from(ns)), []);
                if (name === "prod-with-token") {
                    assert.ok(readable(v, { namespace: "argocd", storeRef: { kind: "SecretStore", name: "vault" } }, repositoryVaultPath));
                }
            });

            it("refuses an ExternalSecret in jenkins reading argocd/admin, through any store it could name", () => {
                const v = view();
                const jenkins = secrets().find((m) => m.metadata.namespace === "jenkins")!;
                const hostile: ExternalSecretManifest = { ...jenkins, spec: { ...jenkins.spec, data: [{ remoteRef: { key: "argocd/admin" } }] } };
                assert.ok(readable(v, esOf(jenkins), "jenkins/admin"), "jenkins reads its own secret");
                assert.ok(boundaryProblems(v, [...secrets(), hostile], everyPath).includes("jenkins/jenkins-admin cannot read argocd/admin"));
                assert.ok(!readable(v, esOf(hostile), "argocd/admin"), "jenkins' role reads argocd/admin");
                // The old cluster-wide store is gone; another namespace's store cannot be named from jenkins.
                assert.ok(!readable(v, { namespace: "jenkins", storeRef: { kind: "ClusterSecretStore", name: "vault" } }, "argocd/admin"));
                // Nor does argocd's role accept jenkins' account: Vault checks the token's namespace.
                const forged = { ...v, stores: [...v.stores, { ...v.stores.find((s) => s.namespace === "jenkins")!, name: "forged", role: "eso-argo-cd" }] };
                assert.ok(!readable(forged, { namespace: "jenkins", storeRef: { kind: "SecretStore", name: "forged" } }, "argocd/admin"));
            });

            it("fails when one policy is widened to platform/data/*, a role to every namespace, or the audience dropped", () => {
                const v = view();
                const all = secrets();
                const jenkinsPolicy = v.roles.find((r) => r.namespaces.includes("jenkins"))!.policies[0];
                const widened = new Map(v.policies).set(jenkinsPolicy, parsePolicy('path "platform/data/*" {\n  capabilities = ["read"]\n}\n'));
                const problems = boundaryProblems({ ...v, policies: widened }, all, everyPath);
                assert.ok(problems.includes("jenkins can read argocd/admin, which none of its ExternalSecrets reads"), problems.join("\n"));
                const anyNamespace = v.roles.map((r) => (r.name === "eso-jenkins" ? { ...r, namespaces: ["*"] } : r));
                assert.notDeepEqual(boundaryProblems({ ...v, roles: anyNamespace }, all, everyPath), []);
                const noAudience = v.roles.map((r) => (r.name === "eso-jenkins" ? { ...r, audience: undefined } : r));
                assert.ok(boundaryProblems({ ...v, roles: noAudience }, all, everyPath).some((p) => p.startsWith("jenkins/")));
            });

            it("each store waits for the release, its reader account and its own Vault role", () => {
                const run = runs[name];
                const urnOf = (type: string, pick: (i: Record<string, unknown>) => boolean) => ofType(run, type).find((r) => pick(r.inputs))!.urn;
                for (const store of ofType(run, types.store)) {
                    const namespace = (store.inputs.metadata as { namespace: string }).namespace;
                    const role = (store.inputs.spec as { provider: { vault: { auth: { kubernetes: { role: string } } } } }).provider.vault.auth.kubernetes.role;
                    assert.ok(store.dependencies.includes(urnOf("kubernetes:helm.sh/v3:Release", (i) => i.name === "external-secrets")), namespace);
                    assert.ok(store.dependencies.includes(urnOf(types.serviceAccount, (i) => (i.metadata as { namespace: string; name: string }).namespace === namespace && (i.metadata as { name: string }).name === "vault-secret-reader")), namespace);
                    assert.ok(store.dependencies.includes(urnOf(types.role, (i) => i.roleName === role)), namespace);
                }
            });
        });
    }

    it("prod without the Vault token: the stores exist, and no role or policy does", async () => {
        const run = await runStackFileOk("prod");
        assert.ok(ofType(run, types.store).length > 5);
        assert.equal(ofType(run, types.role).length, 0);
        assert.equal(ofType(run, types.policy).length, 0);
    });
});

describe("secret readers (pure)", () => {
    const ctx = valuesContext({ ...stackConfig("dev"), apps: Object.fromEntries(gitopsApps().map((a) => [a.name, true])) });

    it("every app of the catalog gets exactly its secretsOf paths; the database host each owner's login", () => {
        const readers = secretReaders(gitopsApps(), ctx);
        const postgres = readers.find((r) => r.app === "platform-postgres")!;
        assert.deepEqual(postgres.paths, ["backstage/postgres", "gitea/postgres", "harbor/postgres", "keycloak/postgres", "sonarqube/postgres"]);
        for (const app of gitopsApps()) {
            const paths = [...new Set(secretsOf(app, ctx).map((s) => s.vaultPath))].sort();
            assert.deepEqual(readers.find((r) => r.app === app.name)?.paths ?? [], paths, app.name);
        }
        assert.ok(readers.find((r) => r.app === "devlake")!.paths.includes("grafana/admin"), "a shared secret stays readable by each of its readers");
        assert.equal(policyDocument(readers.find((r) => r.app === "jenkins")!), 'path "platform/data/jenkins/admin" {\n  capabilities = ["read"]\n}\n');
        assert.equal(readers.find((r) => r.app === "loki"), undefined, "an app without secrets gets no reader");
    });

    it("refuses a catalog path with a wildcard, and two readers in one namespace", () => {
        const jenkins = gitopsApps().find((a) => a.name === "jenkins")!;
        assert.throws(() => secretReaders([{ ...jenkins, secrets: [{ name: "x", vaultPath: "jenkins/*", keys: {} }] }], ctx), /jenkins reads Vault path "jenkins\/\*"/);
        assert.throws(() => secretReaders([jenkins, { ...jenkins, name: "jenkins-2" }], ctx), /both read Vault secrets from namespace jenkins/);
    });
});
