// cert-manager's ACME HTTP-01 solver pods. With a Let's Encrypt issuer, cert-manager starts
// one solver pod per pending challenge in the namespace of the Ingress that asks for the
// certificate, so every app with a UI carries one in its quota (renewals of one host come one
// at a time). The one ClusterIssuer serves every app, so its podTemplate puts all solver pods
// on the platform pool, with the label and the resources declared here (cert-manager v1.21
// pkg/issuer/acme/http/pod.go merges them over its defaults).

import { r, workload } from "./build";
import type { CatalogApp, Workload } from "./types";

export const acmeSolverLabels = { "app.kubernetes.io/name": "cert-manager-acmesolver" } as const;

export const acmeSolver: Workload = {
    ...workload({ object: "cm-acme-http-solver", container: "acmesolver" }, "Pod", 1, {}, r("10m", "64Mi"), r("100m", "64Mi")),
    createdBy: { operator: "cert-manager", source: "cert-manager v1.21.1 pkg/issuer/acme/http/pod.go (buildDefaultPod, mergePodObjectMetaWithPodTemplate)" },
    transient: true,
    pool: "platform",
};

/** The app with a solver pod in its namespace, if it serves a UI and certificates come from ACME. */
export function withAcmeSolver(app: CatalogApp, acme: boolean): CatalogApp {
    return acme && app.host !== undefined ? { ...app, workloads: [...app.workloads, acmeSolver] } : app;
}
