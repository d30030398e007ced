// Which Pod Security Standards level the API server enforces in each app's namespaces (the
// pod-security.kubernetes.io labels tenancy.ts sets), decided from the render:
// - privileged, warn/audit baseline: an app with an exception to a baseline control (node
//   agents that need the host: node-exporter in kube-prometheus-stack, Fluent Bit, Falco; the
//   ingress controller on kind). PSA cannot exempt single workloads, so the namespace gives up
//   the API server's check and Kyverno's policies, with their workload-scoped exceptions, hold
//   the baseline for everything else in it.
// - restricted: the apps every rendered pod of which (charts, setup Jobs, operator-made pods)
//   passes the restricted level in every stack; `npm test` (test/pss.spec.ts and the render's
//   admission check) fails when one stops passing.
// - baseline, warn/audit restricted: every other app.

import { podControls, type PodSecurityLevel } from "../addons/pod-security";
import type { CatalogApp } from "./types";

/** Apps whose every rendered pod passes restricted, in every stack (render of dev, prod, prod-aks, dev-all-apps). */
export const restrictedApps: ReadonlySet<string> = new Set([
    "argo-cd",
    "argo-rollouts",
    "backstage",
    "cert-manager",
    "cloudnative-pg",
    "external-secrets",
    "grafana",
    "harbor",
    "kiali",
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

/** The level PSA enforces in the app's namespaces, and the stricter one it warns and audits at. */
export function podSecurityOf(app: CatalogApp): { enforce: PodSecurityLevel; warn: PodSecurityLevel } {
    if (app.policyExceptions.some((e) => baselinePolicies.has(e.policy))) {
        return { enforce: "privileged", warn: "baseline" };
    }
    return restrictedApps.has(app.name) ? { enforce: "restricted", warn: "restricted" } : { enforce: "baseline", warn: "restricted" };
}
