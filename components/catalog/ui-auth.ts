// A login in front of a UI that has none of its own (DevLake's config UI, Thanos' query UI,
// Pyroscope): HTTP basic authentication at the ingress controller, checked against an htpasswd
// line (bcrypt) that the platform generates into Vault beside the password, and that External
// Secrets delivers into the app's namespace. The app's catalog entry marks its login
// `basicAuth`, so the same login is in the `credentials` output.
//
// Traefik reads the line from a Middleware's Secret (key `users`); the Middleware is one of the
// app's own objects in the GitOps tree (beside its ExternalSecrets, synced by its Application
// within its project), so it does not depend on the chart offering extra objects. ingress-nginx
// reads the line from the Secret its annotations name (key `auth`). The Secret carries both
// keys, so it does not depend on the controller. Until the Secret and the Middleware exist the
// UI stays closed rather than open (from the controllers' docs and issue reports, not tried on
// a cluster here): ingress-nginx answers 503 without the Secret, Traefik serves no router
// whose Middleware is missing.

import { ingressClassNames } from "../names";
import type { AppSecret, AppValuesContext, CatalogApp } from "./types";

/** Name of the Secret (and of the Traefik Middleware) guarding an app's UI. */
export const uiAuthName = (app: string) => `${app}-ui-auth`;

/** Whether the app's UI sits behind the platform's basic auth (its login is marked `basicAuth`). */
export const hasUiAuth = (app: Pick<CatalogApp, "login">): boolean => app.login?.basicAuth === true;

/** The Secret: the htpasswd field of a platform secret with `username`, `password` and `htpasswd`. */
export function uiAuthSecret(app: string, vaultPath: string): AppSecret {
    return { name: uiAuthName(app), vaultPath, keys: { users: "htpasswd", auth: "htpasswd" } };
}

const isTraefik = (ctx: Pick<AppValuesContext, "ingressClassName">) => ctx.ingressClassName === ingressClassNames.traefik;

/** Annotations on the app's Ingress that make the controller ask for the login. */
export function uiAuthAnnotations(ctx: AppValuesContext, app: string, namespace: string): Record<string, string> {
    const name = uiAuthName(app);
    if (isTraefik(ctx)) {
        // A Middleware of the CRD provider is named <namespace>-<name>@kubernetescrd from an Ingress.
        return { "traefik.ingress.kubernetes.io/router.middlewares": `${namespace}-${name}@kubernetescrd` };
    }
    return {
        "nginx.ingress.kubernetes.io/auth-type": "basic",
        "nginx.ingress.kubernetes.io/auth-secret": name,
        "nginx.ingress.kubernetes.io/auth-secret-type": "auth-file",
        "nginx.ingress.kubernetes.io/auth-realm": app,
    };
}

/** The objects the GitOps tree adds to the app's own: Traefik's basicAuth Middleware (ingress-nginx needs none). */
export function uiAuthObjects(ctx: Pick<AppValuesContext, "ingressClassName">, app: Pick<CatalogApp, "name" | "namespace" | "login">): Record<string, unknown>[] {
    if (!hasUiAuth(app) || !isTraefik(ctx)) {
        return [];
    }
    const name = uiAuthName(app.name);
    return [{ apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: { name, namespace: app.namespace }, spec: { basicAuth: { secret: name, realm: app.name } } }];
}
