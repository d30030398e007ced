// The stack's `dns` output: who keeps the platform's DNS records and, where the team does, which
// records to create and what they point at.
// - fawkes:dns set: external-dns keeps one record per host in the zone (addons/external-dns.ts);
// - unset: one wildcard record, *.<fawkes:domain>, pointing at the ingress controller's load
//   balancer (a CNAME to an ELB's name on EKS, an A record to the Azure load balancer's IP on
//   AKS; on kind the host address the ports are bound to). The output names the controller's
//   Service and the kubectl command that prints its address (addons/ingress-address.ts).
// With fawkes:ingress.internal, the hosts served on the internal load balancer are never
// external-dns's: the output names them and the internal load balancer's address.

import { internalEntrypoint } from "./addons/ingress";
import { controllerServiceName } from "./addons/ingress-address";
import type { CatalogApp } from "./catalog";
import type { PlatformConfig } from "./config-types";

/**
 * Records a team creates itself, all pointing at one address. The program does not read the
 * load balancer's address from the cluster: a read fails whenever this run cannot reach the API
 * server yet (the deploy workflow's targeted opening, a pull-request preview), so the output
 * names the Service and the command that prints its address instead.
 */
export interface ManualRecords {
    readonly names: readonly string[];
    /** CNAME to an ELB's host name (EKS), A to an Azure load balancer's IP (AKS) or the kind host address. */
    readonly type: "A" | "CNAME";
    /** The address itself, where the program knows it (kind's host ports). */
    readonly target?: string;
    /** The LoadBalancer Service, namespace/name. */
    readonly service?: string;
    /** Prints the target: `kubectl ... get service ... -o jsonpath=...`. */
    readonly lookup?: string;
}

export type DnsRecords =
    | { readonly managedBy: "external-dns"; readonly provider: "route53" | "azure-dns"; readonly zone: string; readonly ownerId: string; readonly internal?: ManualRecords }
    | ({ readonly managedBy: "you"; readonly internal?: ManualRecords } & ManualRecords);

export interface DnsRecordsArgs {
    readonly ingressApp: CatalogApp;
    /** Hosts (full names) that fawkes:ingress.internal serves on the internal load balancer. */
    readonly internalHosts: readonly string[];
}

/** The records pointing at one of the controller's LoadBalancer Services, and how to read its address. */
export function serviceRecords(names: readonly string[], cloud: "eks" | "aks", namespace: string, service: string): ManualRecords {
    const field = cloud === "eks" ? "hostname" : "ip";
    return {
        names,
        type: cloud === "eks" ? "CNAME" : "A",
        service: `${namespace}/${service}`,
        lookup: `kubectl -n ${namespace} get service ${service} -o jsonpath='{.status.loadBalancer.ingress[0].${field}}'`,
    };
}

export function dnsRecords(config: PlatformConfig, args: DnsRecordsArgs): DnsRecords {
    const wildcard = [`*.${config.domain}`];
    const cluster = config.cluster;
    if (cluster.provider === "kind") {
        // The host ports answer on this address (0.0.0.0: on every address of this machine, so no
        // one target); fawkes.localtest.me already resolves to 127.0.0.1 in public DNS.
        const { listenAddress } = cluster.hostPorts;
        return { managedBy: "you", names: wildcard, type: "A", ...(listenAddress === "0.0.0.0" ? {} : { target: listenAddress }) };
    }
    const { ingressApp } = args;
    const at = (service: string, names: readonly string[]) => serviceRecords(names, cluster.provider, ingressApp.namespace, service);
    const internal = args.internalHosts.length === 0 ? undefined : at(controllerServiceName(config.ingress.controller, ingressApp.name, internalEntrypoint), args.internalHosts);
    const dns = config.dns;
    if (dns !== undefined) {
        return { managedBy: "external-dns", provider: dns.provider, zone: dns.zone, ownerId: dns.ownerId, ...(internal ? { internal } : {}) };
    }
    return { managedBy: "you", ...at(controllerServiceName(config.ingress.controller, ingressApp.name), wildcard), ...(internal ? { internal } : {}) };
}
