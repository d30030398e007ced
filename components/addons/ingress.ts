// The ingress controller: Traefik (default) or the retired ingress-nginx, as the cluster's
// default IngressClass. On kind it binds host ports 80/443 on the ingress-ready control
// plane; in the cloud it is the platform's public LoadBalancer Service.
//
// Exposure rules it carries for every Ingress of the platform:
// - plain HTTP answers with a permanent redirect to HTTPS. ACME HTTP-01 challenges still
//   work: Let's Encrypt follows redirects to https on port 443 without checking the
//   certificate, and so does cert-manager's own reachability self-check (ingress-nginx
//   even exempts /.well-known/acme-challenge from its redirect).
// - HSTS only when the certificates come from a publicly trusted CA (letsencrypt): with the
//   local CA or Let's Encrypt's untrusted staging CA it would turn the certificate warning
//   a first visitor must click through into a hard lock-out.
// - with fawkes:ingress.internal, a third Traefik entrypoint behind its own internal
//   LoadBalancer Service that admits only the configured source ranges; the listed apps'
//   Ingresses bind to it alone (Traefik serves an Ingress on every default entrypoint
//   unless it names its own, so web and websecure are made the defaults).

import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import type { ClusterProvider, IngressController as ControllerName, InternalApp, InternalExposure, TlsIssuer } from "../config-types";
import { ingressClassNames } from "../names";
import { addonRelease, type Values } from "./helm";

export interface IngressArgs {
    readonly app: CatalogApp;
    readonly controller: ControllerName;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    /** kind: host ports on the node; cloud: a LoadBalancer Service. */
    readonly exposure: "hostPort" | "loadBalancer";
    readonly provider: k8s.Provider;
    /** Where the certificates come from: HSTS only with a publicly trusted CA. */
    readonly issuer: TlsIssuer;
    /** The port users reach https on (a kind stack's host port), where HTTP redirects to. */
    readonly httpsPort: number;
    readonly cluster: ClusterProvider;
    readonly internal?: InternalExposure;
}

export { ingressClassNames };

/** One year; no `preload`, so switching a stack back to the local CA stays possible after max-age. */
export const hstsMaxAgeSeconds = 31536000;

/** Browsers trust these issuers' certificates out of the box; only they may get HSTS. */
export function publiclyTrusted(issuer: TlsIssuer): boolean {
    return issuer === "letsencrypt";
}

/** Traefik's entrypoint for fawkes:ingress.internal, and the name of its extra Service. */
export const internalEntrypoint = "internal";

/** The Traefik Middleware (in the controller's namespace) every https entrypoint applies for HSTS. */
const hstsMiddleware = "hsts";

/** Annotations that make a cloud's LoadBalancer Service internal (private subnets / VNet). */
export const internalLoadBalancerAnnotations: Readonly<Record<"eks" | "aks", Readonly<Record<string, string>>>> = {
    // The AWS cloud controller's annotation: an internal load balancer in the subnets tagged
    // kubernetes.io/role/internal-elb (the cluster's private subnets).
    eks: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
    aks: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" },
};

/** An Ingress of an app fawkes:ingress.internal lists binds to the internal entrypoint alone. */
export function internalRouteAnnotations(internal: InternalExposure | undefined, app: InternalApp): Record<string, string> {
    return internal?.apps.includes(app) ? { "traefik.ingress.kubernetes.io/router.entrypoints": internalEntrypoint } : {};
}

// With host ports a surge pod can never start next to the old one: replace in place.
const hostPortRollout = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };

type ValuesArgs = Pick<IngressArgs, "exposure" | "issuer" | "httpsPort" | "cluster" | "internal" | "app">;

export function traefikValues(args: ValuesArgs): Values {
    const hsts = publiclyTrusted(args.issuer);
    const middlewares = hsts ? [`${args.app.namespace}-${hstsMiddleware}@kubernetescrd`] : [];
    const https = { tls: { enabled: true }, middlewares };
    const ports: Values = {
        // The chart turns `to: websecure` into `:<websecure.exposedPort>`: on kind that is the host port.
        web: { asDefault: true, http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } } } },
        websecure: { asDefault: true, exposedPort: args.httpsPort, http: https },
    };
    const values: Values = {
        ingressClass: { enabled: true, isDefaultClass: true, name: ingressClassNames.traefik },
        providers: { kubernetesIngress: { enabled: true }, kubernetesCRD: { enabled: true } },
        service: { spec: { type: args.exposure === "hostPort" ? "ClusterIP" : "LoadBalancer" } },
        ports,
    };
    if (hsts) {
        values.extraObjects = [
            {
                apiVersion: "traefik.io/v1alpha1",
                kind: "Middleware",
                metadata: { name: hstsMiddleware, namespace: args.app.namespace },
                spec: { headers: { stsSeconds: hstsMaxAgeSeconds, stsIncludeSubdomains: false, stsPreload: false } },
            },
        ];
    }
    if (args.internal !== undefined) {
        if (args.cluster === "kind") {
            // config.ts refuses fawkes:ingress.internal on kind.
            throw new Error("an internal entrypoint needs a cloud load balancer; kind stacks have none");
        }
        ports[internalEntrypoint] = { port: 8444, exposedPort: 443, protocol: "TCP", expose: { default: false, [internalEntrypoint]: true }, http: https };
        values.service = {
            ...(values.service as Values),
            additionalServices: {
                [internalEntrypoint]: {
                    annotations: internalLoadBalancerAnnotations[args.cluster],
                    spec: { type: "LoadBalancer", loadBalancerSourceRanges: [...args.internal.sourceRanges] },
                },
            },
        };
    }
    if (args.exposure === "hostPort") {
        (ports.web as Values).hostPort = 80;
        (ports.websecure as Values).hostPort = 443;
        values.updateStrategy = hostPortRollout;
    }
    return values;
}

export function ingressNginxValues(args: ValuesArgs): Values {
    const hsts = publiclyTrusted(args.issuer);
    return {
        controller: {
            ingressClassResource: { name: ingressClassNames["ingress-nginx"], enabled: true, default: true },
            service: { type: args.exposure === "hostPort" ? "ClusterIP" : "LoadBalancer" },
            // ssl-redirect is ingress-nginx's default for Ingresses with TLS (all of the platform's);
            // it skips /.well-known/acme-challenge (no-tls-redirect-locations). HSTS is on by default: set it.
            config: {
                "ssl-redirect": "true",
                hsts: String(hsts),
                ...(hsts ? { "hsts-max-age": String(hstsMaxAgeSeconds), "hsts-include-subdomains": "false", "hsts-preload": "false" } : {}),
            },
            ...(args.exposure === "hostPort" ? { hostPort: { enabled: true }, updateStrategy: hostPortRollout } : {}),
        },
    };
}

export class IngressController extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly className: string;
    private readonly internal?: InternalExposure;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:IngressController", name, {}, opts);
        this.className = ingressClassNames[args.controller];
        this.internal = args.internal;
        this.release = addonRelease(
            name,
            {
                app: args.app,
                namespace: args.namespace,
                pool: args.pool,
                provider: args.provider,
                values: args.controller === "traefik" ? traefikValues(args) : ingressNginxValues(args),
            },
            { parent: this },
        );
        this.registerOutputs({ className: this.className });
    }

    /** Extra annotations for a core app's Ingress: the internal entrypoint, where fawkes:ingress.internal lists the app. */
    routeAnnotations(app: InternalApp): Record<string, string> {
        return internalRouteAnnotations(this.internal, app);
    }
}
