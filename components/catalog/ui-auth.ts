// A login in front of a UI that has none of its own (DevLake's config UI): HTTP basic
// authentication at the ingress controller, checked against an htpasswd line (bcrypt) that
// the platform generates into Vault and External Secrets delivers into the app's namespace.
//
// Traefik reads the line from a Middleware's Secret (key `users`), which the app's chart
// renders beside its Ingress; ingress-nginx reads it from the Secret its annotations name
// (key `auth`). The Secret carries both keys, so it does not depend on the controller.

import { ingressClassNames } from "../names";
import type { AppSecret, AppValuesContext } from "./types";

/** Name of the Secret (and of the Traefik Middleware) guarding an app's UI. */
export const uiAuthName = (app: string) => `${app}-ui-auth`;

/** The Secret: the htpasswd field of a platform secret with `username`, `password` and `htpasswd`. */
export function uiAuthSecret(app: string, vaultPath: string): AppSecret {
    return { name: uiAuthName(app), vaultPath, keys: { users: "htpasswd", auth: "htpasswd" } };
}

const isTraefik = (ctx: AppValuesContext) => ctx.ingressClassName === ingressClassNames.traefik;

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

/** Objects the app's chart renders for it: Traefik's basicAuth Middleware (ingress-nginx needs none). */
export function uiAuthObjects(ctx: AppValuesContext, app: string): Record<string, unknown>[] {
    if (!isTraefik(ctx)) {
        return [];
    }
    return [{ apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: { name: uiAuthName(app) }, spec: { basicAuth: { secret: uiAuthName(app), realm: app } } }];
}
