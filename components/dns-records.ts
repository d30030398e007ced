// The stack's `dns` output: who keeps the platform's DNS records and, where the team does, which
// records to create and what they point at.
// - fawkes:dns set: external-dns keeps one record per host in the zone (addons/external-dns.ts);
// - unset: one wildcard record, *.<fawkes:domain>, pointing at the ingress controller's load
//   balancer (a CNAME to an ELB's name on EKS, an A record to the Azure load balancer's IP on
//   AKS; on kind the host address the ports are bound to). The address is read from the
//   controller's Service after its release (addons/ingress-address.ts).
// With fawkes:ingress.internal, the hosts served on the internal load balancer are never
// external-dns's: the output names them and the internal load balancer's address.

import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IngressController } from "./addons/ingress";
import { internalEntrypoint } from "./addons/ingress";
import { controllerServiceName, type LoadBalancerAddress, loadBalancerAddress } from "./addons/ingress-address";
import type { CatalogApp } from "./catalog";
import type { PlatformConfig } from "./config-types";

/** Records a team creates itself, all pointing at one address. */
export interface ManualRecords {
    readonly names: readonly string[];
    /** Unknown until the load balancer has an address (a preview before the first update). */
    readonly type?: LoadBalancerAddress["type"];
    readonly target?: string;
}

export type DnsRecords =
    | { readonly managedBy: "external-dns"; readonly provider: "route53" | "azure-dns"; readonly zone: string; readonly ownerId: string; readonly internal?: ManualRecords }
    | ({ readonly managedBy: "you"; readonly internal?: ManualRecords } & ManualRecords);

export interface DnsRecordsArgs {
    readonly ingress: IngressController;
    readonly ingressApp: CatalogApp;
    readonly provider: k8s.Provider;
    /** Hosts (full names) that fawkes:ingress.internal serves on the internal load balancer. */
    readonly internalHosts: readonly string[];
}

const records = (names: readonly string[], address: LoadBalancerAddress | undefined): ManualRecords => ({ names, ...(address ?? {}) });

export function dnsRecords(config: PlatformConfig, args: DnsRecordsArgs): pulumi.Output<DnsRecords> {
    const wildcard = [`*.${config.domain}`];
    const cluster = config.cluster;
    if (cluster.provider === "kind") {
        // The host ports answer on this address (0.0.0.0: on every address of this machine, so no
        // one target); fawkes.localtest.me already resolves to 127.0.0.1 in public DNS.
        const { listenAddress } = cluster.hostPorts;
        return pulumi.output<DnsRecords>({ managedBy: "you", ...records(wildcard, listenAddress === "0.0.0.0" ? undefined : { type: "A", target: listenAddress }) });
    }
    const { ingress, ingressApp } = args;
    const read = (service: string) =>
        loadBalancerAddress(`${service}-load-balancer`, { release: ingress.release, namespace: ingressApp.namespace, service, provider: args.provider }, { parent: ingress });
    const internal: pulumi.Output<ManualRecords | undefined> =
        args.internalHosts.length === 0
            ? pulumi.output(undefined)
            : read(controllerServiceName(config.ingress.controller, ingressApp.name, internalEntrypoint)).apply((address) => records(args.internalHosts, address));
    const dns = config.dns;
    if (dns !== undefined) {
        return internal.apply((i): DnsRecords => ({ managedBy: "external-dns", provider: dns.provider, zone: dns.zone, ownerId: dns.ownerId, ...(i ? { internal: i } : {}) }));
    }
    const publicAddress = read(controllerServiceName(config.ingress.controller, ingressApp.name));
    return pulumi.all([publicAddress, internal]).apply(([address, i]): DnsRecords => ({ managedBy: "you", ...records(wildcard, address), ...(i ? { internal: i } : {}) }));
}
