// Names several layers must agree on before the resources that carry them exist.

import type { IngressController, TlsIssuer } from "./config-types";

/** IngressClass names, fixed so every app's Ingress can name its class up front. */
export const ingressClassNames: Readonly<Record<IngressController, string>> = { traefik: "traefik", "ingress-nginx": "nginx" };

/** ClusterIssuer names, fixed so Ingress annotations can name them up front. */
export const clusterIssuerNames: Readonly<Record<TlsIssuer, string>> = {
    "local-ca": "fawkes-local-ca",
    "letsencrypt-staging": "letsencrypt-staging",
    letsencrypt: "letsencrypt",
};

/** Argo CD's namespace and the in-cluster destination, the only one the platform uses. */
export const argoCdNamespace = "argocd";
export const inCluster = "https://kubernetes.default.svc";
