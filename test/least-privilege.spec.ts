// Least privilege for apps: which pods of the platform can read Secrets beyond their own
// namespace. Every ClusterRole a render grants that reads Secrets is pinned below with the
// reason it stays, so a chart upgrade or a values change that adds one fails here until it is
// narrowed or reviewed. Grafana (internet-facing) and kube-state-metrics are narrowed: Grafana
// watches ConfigMaps in its own namespace only, kube-state-metrics no longer lists Secrets.

import * as assert from "node:assert/strict";
import type { K8sObject } from "../scripts/render/helm-template";
import { renderStack, type StackRender } from "../scripts/render/render";
import { type RbacRule, readsSecrets, type SecretReader, type SecretReaderScope, secretReaders, stackSecretReaders } from "../scripts/render/secret-readers";
import { suiteRenderTargets } from "../scripts/render/sources";
import { stackNames } from "../scripts/lib/stacks";
import { ofType, runStackFileOk } from "../scripts/lib/harness";

interface PinnedReader {
    readonly app: string;
    readonly clusterRole: string;
    readonly scope: SecretReaderScope;
    readonly reason: string;
}

/**
 * Every ClusterRole that reads Secrets in any namespace, over every render target (optional
 * apps from dev-all-apps), and why each remains. `cluster`: bound cluster-wide by a
 * ClusterRoleBinding; `unbound`: the app's operator binds it per namespace at run time.
 */
const pinnedSecretReaders: readonly PinnedReader[] = [
    // Core
    { app: "argo-cd", clusterRole: "argo-cd-argocd-application-controller", scope: "cluster", reason: "syncs any kind into any namespace (*/*/*); narrowed by the projects' sync impersonation, not here" },
    { app: "argo-cd", clusterRole: "argo-cd-argocd-notifications-controller", scope: "cluster", reason: "the chart's notifications controller lists ConfigMaps and Secrets cluster-wide for Applications in any namespace" },
    { app: "argo-cd", clusterRole: "argo-cd-argocd-server", scope: "cluster", reason: "the UI shows and deletes the live objects of every Application (get/patch/delete on */*), Secrets included" },
    { app: "cert-manager", clusterRole: "cert-manager-cainjector", scope: "cluster", reason: "reads the CA Secrets it injects into webhook and CRD configurations" },
    { app: "cert-manager", clusterRole: "cert-manager-controller-certificates", scope: "cluster", reason: "writes each Certificate's key pair into a Secret in the Certificate's namespace" },
    { app: "cert-manager", clusterRole: "cert-manager-controller-challenges", scope: "cluster", reason: "reads the DNS-01 solver credentials its issuers reference" },
    { app: "cert-manager", clusterRole: "cert-manager-controller-clusterissuers", scope: "cluster", reason: "reads and writes the ClusterIssuers' CA and ACME account Secrets" },
    { app: "cert-manager", clusterRole: "cert-manager-controller-issuers", scope: "cluster", reason: "reads and writes namespaced Issuers' CA and ACME account Secrets, in any namespace" },
    { app: "cert-manager", clusterRole: "cert-manager-controller-orders", scope: "cluster", reason: "reads the ACME account keys orders are signed with" },
    { app: "external-secrets", clusterRole: "external-secrets-cert-controller", scope: "cluster", reason: "rotates its webhook's serving certificate Secret" },
    { app: "external-secrets", clusterRole: "external-secrets-controller", scope: "cluster", reason: "writes each ExternalSecret's target Secret in the app's namespace: what it exists for" },
    { app: "traefik", clusterRole: "traefik-traefik", scope: "cluster", reason: "serves the TLS Secrets the Ingresses of every app namespace reference" },
    { app: "ingress-nginx", clusterRole: "ingress-nginx", scope: "cluster", reason: "serves the TLS Secrets the Ingresses of every app namespace reference" },
    // Catalog apps
    { app: "argo-rollouts", clusterRole: "argo-rollouts", scope: "cluster", reason: "runs Rollouts in every app namespace: AnalysisTemplates read metric-provider credentials from Secrets there" },
    { app: "cloudnative-pg", clusterRole: "cloudnative-pg", scope: "cluster", reason: "the operator creates and reads each Cluster's superuser, app and certificate Secrets, wherever a Cluster is" },
    { app: "kube-prometheus-stack", clusterRole: "kube-prometheus-stack-operator", scope: "cluster", reason: "prometheus-operator reads the auth and TLS Secrets ServiceMonitors reference in any namespace and writes Prometheus' config Secrets" },
    { app: "trivy-operator", clusterRole: "trivy-operator", scope: "cluster", reason: "reads workloads' image pull Secrets to scan their private images (get, no list)" },
    // Optional apps (off by default)
    { app: "kargo", clusterRole: "kargo-management-controller", scope: "cluster", reason: "sets up each Kargo project namespace: its RBAC, service accounts and credential Secrets" },
    { app: "kargo", clusterRole: "kargo-webhooks-server", scope: "cluster", reason: "the chart's webhook server manages project Secrets, ConfigMaps and service accounts (no value narrows it)" },
    { app: "kargo", clusterRole: "kargo-controller-read-secrets", scope: "unbound", reason: "bound per project namespace by the management controller (controller.serviceAccount.clusterWideSecretReadingEnabled stays false)" },
    { app: "kargo", clusterRole: "kargo-project-admin", scope: "unbound", reason: "bound per project namespace to that project's admins" },
    { app: "kargo", clusterRole: "kargo-project-secrets-reader", scope: "unbound", reason: "bound per project namespace to the users that project lets read its credentials" },
    { app: "sealed-secrets", clusterRole: "secrets-unsealer", scope: "cluster", reason: "writes the Secret of each SealedSecret, in any namespace: what it exists for" },
    { app: "velero", clusterRole: "cluster-admin", scope: "cluster", reason: "backs up and restores every namespace, its Secrets included: a backup is a copy of them" },
];

/** Apps narrowed by this change: they must never come back into the list. */
const narrowed = [
    { app: "grafana", clusterRole: "grafana-clusterrole" },
    { app: "kube-prometheus-stack", clusterRole: "kube-prometheus-stack-kube-state-metrics" },
];

const key = (r: { app: string; clusterRole: string; scope?: string }) => `${r.app}: ClusterRole ${r.clusterRole}${r.scope ? ` (${r.scope})` : ""}`;

const targets = suiteRenderTargets(stackNames());

interface EnvVar {
    name: string;
    value?: string;
}
interface PodTemplate {
    spec: { template: { spec: { containers: { name: string; env?: EnvVar[]; args?: string[] }[] } } };
}

describe("least privilege: who reads Secrets beyond its namespace", function () {
    // Renders are shared with render.spec.ts in one mocha process; warm, a few seconds each.
    this.timeout(120_000);
    const renders = new Map<string, StackRender>();
    before(async () => {
        for (const target of targets) {
            renders.set(target.name, await renderStack(target));
        }
    });

    it("pins every reason: one entry per ClusterRole, each with its reason", () => {
        assert.equal(new Set(pinnedSecretReaders.map(key)).size, pinnedSecretReaders.length);
        for (const r of pinnedSecretReaders) {
            assert.ok(r.reason.length > 20, `${key(r)} has no reason`);
        }
    });

    for (const target of targets) {
        describe(target.name, () => {
            it("grants Secret reads across namespaces only through the pinned ClusterRoles", () => {
                const found = stackSecretReaders(renders.get(target.name)!).clusterWide;
                const pinned = new Set(pinnedSecretReaders.map(key));
                const added = found.filter((r) => !pinned.has(key(r)));
                assert.deepEqual(
                    added.map(key),
                    [],
                    "these ClusterRoles read Secrets in every namespace: narrow them in the app's values, or pin each with its reason in pinnedSecretReaders",
                );
            });

            it("binds no ClusterRole it does not define, other than Kubernetes' own", () => {
                assert.deepEqual(stackSecretReaders(renders.get(target.name)!).unknownRoles, []);
            });

            it("grants no app Secret reads in another app's namespace (Roles and RoleBindings)", () => {
                assert.deepEqual(stackSecretReaders(renders.get(target.name)!).foreignNamespaces, []);
            });
        });
    }

    it("pins no ClusterRole that no target renders any more", () => {
        const found = new Set([...renders.values()].flatMap((r) => stackSecretReaders(r).clusterWide.map(key)));
        assert.deepEqual(
            pinnedSecretReaders.map(key).filter((k) => !found.has(k)),
            [],
        );
    });

    it("does not list grafana or kube-state-metrics", () => {
        for (const n of narrowed) {
            assert.ok(!pinnedSecretReaders.some((r) => r.clusterRole === n.clusterRole || r.app === "grafana"), `${key(n)} is pinned`);
            for (const [name, render] of renders) {
                const found = stackSecretReaders(render).clusterWide.filter((r) => r.clusterRole === n.clusterRole || r.app === "grafana");
                assert.deepEqual(found, [], `${name}: ${key(n)} reads Secrets again`);
            }
        }
    });

    describe("grafana", () => {
        const chartObjects = (app: string, target = "dev") => renders.get(target)!.charts.find((c) => c.install.app === app)!.objects;

        it("gets Roles in its own namespace only, and no ClusterRole or ClusterRoleBinding", () => {
            for (const [name, render] of renders) {
                const objects = render.charts.find((c) => c.install.app === "grafana")?.objects ?? [];
                assert.ok(objects.length > 0, `${name}: grafana does not render`);
                const rbac = objects.filter((o) => /Role(Binding)?$/.test(o.kind));
                assert.deepEqual(
                    rbac.map((o) => `${o.kind} ${o.metadata.namespace ?? "grafana"}/${o.metadata.name}`).sort(),
                    ["Role grafana/grafana", "RoleBinding grafana/grafana"],
                    name,
                );
            }
        });

        it("runs its sidecars on ConfigMaps only, of its own namespace and kube-prometheus-stack's", () => {
            const deployment = chartObjects("grafana").find((o) => o.kind === "Deployment") as unknown as PodTemplate;
            const sidecars = deployment.spec.template.spec.containers.filter((c) => c.name.startsWith("grafana-sc-"));
            assert.deepEqual(
                sidecars.map((c) => c.name),
                ["grafana-sc-dashboard", "grafana-sc-datasources"],
            );
            for (const c of sidecars) {
                const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
                assert.equal(env.get("RESOURCE"), "configmap", c.name);
                assert.equal(env.get("NAMESPACE"), "grafana,monitoring", c.name);
            }
        });

        it("finds kube-prometheus-stack's dashboards and datasource in monitoring, through the program's ConfigMap-only Role", async () => {
            for (const [name, render] of renders) {
                const objects = render.charts.find((c) => c.install.app === "kube-prometheus-stack")!.objects;
                const labelled = (label: string) => objects.filter((o) => o.kind === "ConfigMap" && o.metadata.labels?.[label] !== undefined);
                assert.ok(labelled("grafana_dashboard").length >= 20, `${name}: ${labelled("grafana_dashboard").length} dashboards`);
                assert.equal(labelled("grafana_datasource").length, 1, name);
                // Its project may deploy into monitoring only.
                assert.deepEqual([...new Set([...labelled("grafana_dashboard"), ...labelled("grafana_datasource")].map((o) => o.metadata.namespace ?? "monitoring"))], ["monitoring"], name);
            }
            const dev = await runStackFileOk("dev");
            const roles = ofType(dev, "kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) => (r.inputs.metadata as { namespace: string }).namespace === "monitoring");
            assert.deepEqual(
                roles.map((r) => [(r.inputs.metadata as { name: string }).name, r.inputs.rules]),
                [["grafana-configmap-reader", [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }]]],
            );
            const binding = ofType(dev, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").find((r) => (r.inputs.metadata as { namespace: string }).namespace === "monitoring")!;
            assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "grafana", namespace: "grafana" }]);
        });
    });

    it("runs kube-state-metrics without its secrets collector", () => {
        for (const [name, render] of renders) {
            const objects = render.charts.find((c) => c.install.app === "kube-prometheus-stack")!.objects;
            const ksm = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "kube-prometheus-stack-kube-state-metrics") as unknown as PodTemplate;
            const resources = ksm.spec.template.spec.containers[0].args?.find((a) => a.startsWith("--resources="))?.split("=")[1].split(",") ?? [];
            assert.ok(resources.includes("configmaps") && resources.includes("pods"), `${name}: ${resources.join(",")}`);
            assert.ok(!resources.includes("secrets"), `${name}: kube-state-metrics collects secrets`);
            const role = objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === "kube-prometheus-stack-kube-state-metrics")!;
            assert.ok(!((role as unknown as { rules?: RbacRule[] }).rules ?? []).some(readsSecrets), `${name}: its ClusterRole reads Secrets`);
        }
    });

    describe("the finder", () => {
        const role = (kind: string, name: string, rules: object[], extra: object = {}): K8sObject => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: { name }, rules, ...extra });
        const binding = (kind: string, name: string, roleKind: string, roleName: string, namespace?: string): K8sObject =>
            ({ apiVersion: "rbac.authorization.k8s.io/v1", kind, metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { kind: roleKind, name: roleName } });
        const own = (app: string) => [app];

        it("counts wildcards and named Secrets as reads, not writes or other resources", () => {
            assert.ok(readsSecrets({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }));
            assert.ok(readsSecrets({ apiGroups: [""], resources: ["secrets"], verbs: ["watch"] }));
            assert.ok(readsSecrets({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["one"] }));
            assert.ok(!readsSecrets({ apiGroups: [""], resources: ["secrets"], verbs: ["create", "update"] }));
            assert.ok(!readsSecrets({ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }));
            assert.ok(!readsSecrets({ apiGroups: ["apps"], resources: ["*"], verbs: ["get"] }));
        });

        it("finds Grafana's chart ClusterRole again if its values go back to cluster-wide RBAC", () => {
            const reads = [{ apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "watch", "list"] }];
            const report = secretReaders(
                [
                    { app: "grafana", object: role("ClusterRole", "grafana-clusterrole", reads) },
                    { app: "grafana", object: binding("ClusterRoleBinding", "grafana-clusterrolebinding", "ClusterRole", "grafana-clusterrole") },
                ],
                own,
            );
            assert.deepEqual(report.clusterWide, [{ app: "grafana", clusterRole: "grafana-clusterrole", scope: "cluster" } satisfies SecretReader]);
        });

        it("tells cluster-wide, aggregated and unbound ClusterRoles apart, and skips those bound in one namespace", () => {
            const reads = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }];
            const report = secretReaders(
                [
                    { app: "a", object: role("ClusterRole", "agg", reads, { metadata: { name: "agg", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } } }) },
                    { app: "a", object: role("ClusterRole", "loose", reads) },
                    { app: "a", object: role("ClusterRole", "local", reads) },
                    { app: "a", object: binding("RoleBinding", "local", "ClusterRole", "local"), namespace: "a" },
                    { app: "a", object: binding("ClusterRoleBinding", "admin", "ClusterRole", "cluster-admin") },
                    { app: "a", object: binding("ClusterRoleBinding", "viewer", "ClusterRole", "view") },
                ],
                own,
            );
            assert.deepEqual(
                report.clusterWide.map((r) => `${r.clusterRole} ${r.scope}`),
                ["agg aggregated", "cluster-admin cluster", "loose unbound"],
            );
        });

        it("flags a Role or RoleBinding that reads Secrets in another app's namespace, and a binding to an undefined ClusterRole", () => {
            const reads = [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }];
            const report = secretReaders(
                [
                    { app: "grafana", object: role("Role", "grafana", reads), namespace: "monitoring" },
                    { app: "grafana", object: binding("RoleBinding", "grafana", "Role", "grafana", "monitoring"), namespace: "monitoring" },
                    { app: "grafana", object: role("Role", "grafana", reads), namespace: "grafana" },
                    { app: "x", object: binding("ClusterRoleBinding", "x", "ClusterRole", "someone-elses") },
                ],
                own,
            );
            assert.deepEqual(
                report.foreignNamespaces.map((r) => `${r.kind} ${r.namespace}/${r.name}`),
                ["Role monitoring/grafana", "RoleBinding monitoring/grafana"],
            );
            assert.deepEqual(report.unknownRoles, ["x: ClusterRoleBinding x binds ClusterRole someone-elses"]);
        });
    });
});
