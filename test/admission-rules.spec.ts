// The cluster-wide boundary rules (components/addons/admission-rules.ts): the CEL the offline
// evaluator runs, who is trusted, and the inputs generated from the catalog.

import * as assert from "node:assert/strict";
import { admissionRuleInputs, admissionRuleNames, admissionRules, allCoreNamespaces, argoCdControllerUser, isCoreApp } from "../components/addons/admission-rules";
import { privilegedBindings, webhookExceptions, wildcardRoles } from "../components/addons/admission-allowlist";
import { applicationProjects, stackAdmissionRules } from "../components/addons/kyverno";
import { coreAddons, enabledGitopsApps, gitopsApps } from "../components/catalog";
import { appProjectName, rootAppName, rootProjectName } from "../components/gitops/manifests";
import { admit, checkFunctions, type KubeObject, type UserInfo } from "../scripts/render/admission";

const domain = "fawkes.test";
const apps = [...coreAddons({ provider: "kind", ha: false, ingressController: "traefik", gitServer: true }), ...enabledGitopsApps({})];
const rules = stackAdmissionRules(apps, domain) as KubeObject[];
const crb = (role: string): KubeObject => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "x" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role }, subjects: [] });
const as = (username: string): UserInfo => ({ username });
const denies = (object: KubeObject, user: UserInfo, namespace?: string) =>
    admit(rules, { object, userInfo: user, ...(namespace ? { namespace: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } } : {}) }).verdicts.filter((v) => v.denies).map((v) => v.policy);

describe("admission rules: the boundaries projects cannot express", () => {
    it("are the eight rules, Deny and failurePolicy Fail, cluster-wide, in CEL the evaluator runs", () => {
        assert.deepEqual(rules.map((r) => r.metadata.name), [...admissionRuleNames]);
        for (const r of rules) {
            assert.deepEqual((r.spec as { validationActions: string[] }).validationActions, ["Deny"], r.metadata.name);
            assert.equal((r.spec as { failurePolicy: string }).failurePolicy, "Fail", r.metadata.name);
        }
        checkFunctions(rules);
    });

    it("trust comes from the request's user: Pulumi and kube-system pass, Argo CD's controller and app service accounts do not", () => {
        assert.deepEqual(denies(crb("cluster-admin"), as("kubernetes-admin")), []);
        assert.deepEqual(denies(crb("cluster-admin"), as("arn:aws:sts::123456789012:assumed-role/deployer/ci")), []);
        assert.deepEqual(denies(crb("admin"), as("system:serviceaccount:kube-system:clusterrole-aggregation-controller")), []);
        assert.deepEqual(denies(crb("cluster-admin"), as(argoCdControllerUser)), ["restrict-privileged-bindings"]);
        assert.deepEqual(denies(crb("edit"), as("system:serviceaccount:argocd:argo-cd-argocd-server")), ["restrict-privileged-bindings"]);
        assert.deepEqual(denies(crb("edit"), as("system:serviceaccount:jenkins:default")), ["restrict-privileged-bindings"]);
        // A namespace whose name only starts like a trusted one is not trusted.
        assert.deepEqual(denies(crb("edit"), as("system:serviceaccount:kube-system-evil:x")), ["restrict-privileged-bindings"]);
        assert.deepEqual(denies(crb("view"), as(argoCdControllerUser)), []);
    });

    it("trusts kube-system and the core namespaces but argocd", () => {
        const inputs = admissionRuleInputs({ domain, apps, applicationProjects: {}, wildcardRoles: [] });
        assert.ok(inputs.trustedNamespaces.includes("kube-system") && inputs.trustedNamespaces.includes("kyverno"));
        assert.ok(!inputs.trustedNamespaces.includes("argocd"));
        assert.ok(inputs.coreNamespaces.includes("argocd"));
        assert.ok(!inputs.trustedNamespaces.some((n) => apps.filter((a) => !isCoreApp(a)).some((a) => a.namespace === n)), "no app namespace is trusted");
    });

    it("the webhook exclusion charts set covers every stack's core namespaces", () => {
        for (const provider of ["kind", "eks", "aks"] as const) {
            for (const ingressController of ["traefik", "ingress-nginx"] as const) {
                for (const gitServer of [true, false]) {
                    const core = coreAddons({ provider, ha: provider !== "kind", ingressController, gitServer });
                    const { coreNamespaces } = admissionRuleInputs({ domain, apps: core, applicationProjects: {}, wildcardRoles: [] });
                    assert.deepEqual(coreNamespaces.filter((n) => !(allCoreNamespaces as readonly string[]).includes(n)), [], `${provider}/${ingressController}/${gitServer}`);
                }
            }
        }
    });

    it("generates the Application → project map and the namespace → hosts map from the catalog", () => {
        const projects = applicationProjects([...coreAddons({ provider: "kind", ha: false, ingressController: "traefik" }), ...gitopsApps()]);
        assert.equal(projects[rootAppName], rootProjectName);
        for (const app of gitopsApps()) {
            assert.equal(projects[app.name], appProjectName(app), app.name);
        }
        assert.equal(projects["vault"], undefined, "core add-ons have no Application");
        const { namespaceHosts } = admissionRuleInputs({ domain, apps, applicationProjects: {}, wildcardRoles: [] });
        for (const app of apps.filter((a) => a.host !== undefined)) {
            assert.ok(namespaceHosts[app.namespace].includes(`${app.host!}.${domain}`), app.name);
        }
    });

    it("every allow-listed wildcard role names its app and a reason", () => {
        for (const r of wildcardRoles) {
            assert.match(r.role, /^(ClusterRole\/[^/]+|Role\/[^/]+\/[^/]+)$/);
            assert.ok(gitopsApps().some((a) => a.name === r.app), r.app);
            assert.ok(r.reason.length > 40, r.role);
        }
        const allowed: KubeObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "kube-prometheus-stack-operator" }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["*"] }] };
        assert.deepEqual(denies(allowed, as(argoCdControllerUser)), []);
        // The same role as a namespaced Role of that name is not the allow-listed one.
        assert.deepEqual(denies({ ...allowed, kind: "Role", metadata: { name: "kube-prometheus-stack-operator", namespace: "monitoring" }, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] }, as(argoCdControllerUser), "monitoring"), ["restrict-wildcard-roles"]);
    });

    it("lets through exactly the reviewed bindings and webhooks, by kind and name", () => {
        for (const r of [...privilegedBindings, ...webhookExceptions]) {
            assert.match(r.object, /^(ClusterRoleBinding\/[^/]+|RoleBinding\/[^/]+\/[^/]+|(Validating|Mutating)WebhookConfiguration\/[^/]+)$/);
            assert.ok(gitopsApps().some((a) => a.name === r.app), r.app);
            assert.ok(r.reason.length > 40, r.object);
        }
        const withLists = admissionRules(admissionRuleInputs({ domain, apps, applicationProjects: {}, wildcardRoles, privilegedBindings, webhookExceptions })) as KubeObject[];
        const velero = { ...crb("cluster-admin"), metadata: { name: "velero-server" } };
        assert.equal(admit(withLists, { object: velero, userInfo: as(argoCdControllerUser) }).allowed, true);
        // Another name, or the same name as a namespaced RoleBinding, is not the reviewed one.
        assert.equal(admit(withLists, { object: { ...velero, metadata: { name: "velero-server-2" } }, userInfo: as(argoCdControllerUser) }).allowed, false);
        const webhook: KubeObject = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "kargo" }, webhooks: [{ name: "x.kargo.akuity.io", rules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["secrets"], operations: ["CREATE"] }] }] };
        assert.equal(admit(withLists, { object: webhook, userInfo: as(argoCdControllerUser) }).allowed, true);
        assert.equal(admit(withLists, { object: { ...webhook, kind: "MutatingWebhookConfiguration" }, userInfo: as(argoCdControllerUser) }).allowed, false);
    });

    it("reaches cluster-scoped objects whatever Kyverno's webhook namespaceSelector leaves out", () => {
        const result = admit(rules, { object: crb("cluster-admin"), userInfo: as(argoCdControllerUser) });
        assert.equal(result.reachesKyverno, true);
        assert.ok(result.matched.includes("restrict-privileged-bindings"));
    });
});
