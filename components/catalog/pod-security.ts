// Which Pod Security Standards level the API server enforces in each app namespace (the
// pod-security.kubernetes.io labels tenancy.ts sets), decided per namespace from the render:
// - privileged, warn/audit baseline: a namespace whose workloads hold an exception to a
//   baseline control (node agents that need the host: node-exporter in its own namespace,
//   Fluent Bit, Falco; the ingress controller on kind). PSA cannot exempt single workloads, so
//   the namespace gives up the API server's check and Kyverno's policies, with their
//   workload-scoped exceptions, hold the baseline for everything else in it. That is why a node
//   agent of a larger app runs in a namespace of its own (catalog Workload.namespace): the
//   app's other pods keep the API server's check.
// - restricted: the namespaces of the apps every rendered pod of which (charts, setup Jobs,
//   operator-made pods) passes the restricted level in every stack; `npm test`
//   (test/pss.spec.ts and the render's admission check) fails when one stops passing.
// - baseline, warn/audit restricted: every other namespace.

import { podControls, type PodSecurityLevel } from "../addons/pod-security";
import { namespaceOfWorkload } from "./namespaces";
import type { CatalogApp } from "./types";

/**
 * Apps whose every rendered pod passes restricted, in every stack (render of dev, prod, prod-aks,
 * dev-all-apps), outside a namespace a host exception makes privileged (kube-prometheus-stack:
 * everything in monitoring; its node-exporter has a namespace of its own).
 */
export const restrictedApps: ReadonlySet<string> = new Set([
    "argo-cd",
    "argo-rollouts",
    "backstage",
    "cert-manager",
    "cloudnative-pg",
    // Rendered where fawkes:dns is set (prod, and the prod-aks-dns render target).
    "external-dns",
    "external-secrets",
    "grafana",
    "harbor",
    "kiali",
    "kube-prometheus-stack",
    "kyverno",
    "loki",
    "opentelemetry-collector",
    "opentelemetry-operator",
    "platform-postgres",
    "sealed-secrets",
    "sonarqube",
    "thanos",
]);

const baselinePolicies = new Set(podControls.filter((c) => c.level === "baseline").map((c) => c.name));

/**
 * The level PSA enforces in one of the app's namespaces (its own unless told), and the stricter
 * one it warns and audits at.
 */
export function podSecurityOf(app: CatalogApp, namespace: string = app.namespace): { enforce: PodSecurityLevel; warn: PodSecurityLevel } {
    const needsHost = app.policyExceptions.some((e) => baselinePolicies.has(e.policy) && e.workloads.some((w) => (namespaceOfWorkload(app, w) ?? app.namespace) === namespace));
    if (needsHost) {
        return { enforce: "privileged", warn: "baseline" };
    }
    return restrictedApps.has(app.name) ? { enforce: "restricted", warn: "restricted" } : { enforce: "baseline", warn: "restricted" };
}
