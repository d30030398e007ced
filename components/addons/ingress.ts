// The ingress controller: Traefik (default) or the retired ingress-nginx, as the cluster's
// default IngressClass. On kind it binds host ports 80/443 on the ingress-ready control
// plane; in the cloud it is the platform's only LoadBalancer Service.

import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import type { IngressController as ControllerName } from "../config-types";
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
}

export { ingressClassNames };

// With host ports a surge pod can never start next to the old one: replace in place.
const hostPortRollout = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };

function traefikValues(exposure: IngressArgs["exposure"]): Values {
    const values: Values = {
        ingressClass: { enabled: true, isDefaultClass: true, name: ingressClassNames.traefik },
        providers: { kubernetesIngress: { enabled: true } },
        service: { spec: { type: exposure === "hostPort" ? "ClusterIP" : "LoadBalancer" } },
    };
    if (exposure === "hostPort") {
        values.ports = { web: { hostPort: 80 }, websecure: { hostPort: 443 } };
        values.updateStrategy = hostPortRollout;
    }
    return values;
}

function ingressNginxValues(exposure: IngressArgs["exposure"]): Values {
    return {
        controller: {
            ingressClassResource: { name: ingressClassNames["ingress-nginx"], enabled: true, default: true },
            service: { type: exposure === "hostPort" ? "ClusterIP" : "LoadBalancer" },
            ...(exposure === "hostPort" ? { hostPort: { enabled: true }, updateStrategy: hostPortRollout } : {}),
        },
    };
}

export class IngressController extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly className: string;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:IngressController", name, {}, opts);
        this.className = ingressClassNames[args.controller];
        this.release = addonRelease(
            name,
            {
                app: args.app,
                namespace: args.namespace,
                pool: args.pool,
                provider: args.provider,
                values: args.controller === "traefik" ? traefikValues(args.exposure) : ingressNginxValues(args.exposure),
            },
            { parent: this },
        );
        this.registerOutputs({ className: this.className });
    }
}
