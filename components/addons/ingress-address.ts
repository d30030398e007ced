// The address of an ingress controller's cloud load balancer, read from its Service once the
// Helm release has installed it: what a DNS record for the platform's hosts must point at
// when no external-dns writes it. An ELB (EKS) has a host name, to point a CNAME (or a Route 53
// alias) at; an Azure load balancer (AKS) has an IP address, for an A record.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressController as ControllerName } from "../config-types";

export interface LoadBalancerAddress {
    readonly type: "A" | "CNAME";
    readonly target: string;
}

/**
 * The controller's LoadBalancer Service, as each chart names it for a release named after the
 * catalog app: Traefik's default Service is the release's full name, its additional Services
 * `<release>-<name>` (traefik 41.3.0 templates/_service.tpl); ingress-nginx's is
 * `<release>-controller` (ingress-nginx 4.15.1).
 */
export function controllerServiceName(controller: ControllerName, release: string, additional?: string): string {
    if (controller === "ingress-nginx") {
        return `${release}-controller`;
    }
    return additional === undefined ? release : `${release}-${additional}`;
}

/** The first address the cloud gave the Service's load balancer; undefined until it has one. */
export function addressOf(status: k8s.types.output.core.v1.ServiceStatus | undefined): LoadBalancerAddress | undefined {
    const ingress = status?.loadBalancer?.ingress?.[0];
    if (ingress?.hostname) {
        return { type: "CNAME", target: ingress.hostname };
    }
    return ingress?.ip ? { type: "A", target: ingress.ip } : undefined;
}

export interface LoadBalancerArgs {
    readonly release: k8s.helm.v3.Release;
    readonly namespace: string;
    readonly service: string;
    readonly provider: k8s.Provider;
}

/**
 * Reads the Service after the release. Helm's wait (the release is atomic) returns only once a
 * LoadBalancer Service has its address, so the read finds it. The read's id comes from the
 * release's status: on the first preview, before the release exists, the status and so the id
 * are unknown and Pulumi skips the read instead of failing on a Service that is not there yet.
 */
export function loadBalancerAddress(name: string, args: LoadBalancerArgs, opts: pulumi.CustomResourceOptions = {}): pulumi.Output<LoadBalancerAddress | undefined> {
    // Mocks echo a release's inputs and have no status: the namespace is the one it was given.
    const id = args.release.status.apply((status: k8s.types.output.helm.v3.ReleaseStatus | undefined) => `${status?.namespace ?? args.namespace}/${args.service}`);
    const service = k8s.core.v1.Service.get(name, id, { ...opts, provider: args.provider, dependsOn: [args.release] });
    return service.status.apply((status: k8s.types.output.core.v1.ServiceStatus | undefined) => addressOf(status));
}
