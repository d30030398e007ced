// The ingress controller's LoadBalancer Services: what a DNS record for the platform's hosts
// must point at when no external-dns writes it. An ELB (EKS) has a host name, to point a CNAME
// (or a Route 53 alias) at; an Azure load balancer (AKS) has an IP address, for an A record.

import type { IngressController as ControllerName } from "../config-types";

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
