// external-dns, on a stack with fawkes:dns: the records of the platform's Ingresses in the
// stack's Route 53 zone (EKS, through Pod Identity) or Azure DNS zone (AKS, through workload
// identity), pointing at the ingress controller's load balancer.
//
// It manages the platform's records only, and never deletes a record:
// - what it reads: Ingresses of the platform's IngressClass only (--ingress-class), hosts under
//   fawkes:domain only (--domain-filter: the zone may be a parent others share), minus the hosts
//   fawkes:ingress.internal serves on the internal load balancer (--exclude-domains);
// - whose records: the TXT registry with the stack's owner id. external-dns changes only records
//   whose TXT ownership record carries that id, so it never touches a record it did not create;
// - policy upsert-only (the chart's default, and the safer choice): records are created and
//   updated, never deleted. `sync` would also delete its own records once their Ingress is gone;
//   with upsert-only the record of a host that is switched off stays, pointing at the same load
//   balancer (which answers 404 for it), until someone deletes it (README: DNS). Live hosts'
//   records are kept current either way, so nothing a team needs breaks.
// - the cloud identity may change this one zone, and on Route 53 only those record types and names.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { CloudContext, NodePool } from "../cluster/types";
import type { AzureDns, DnsConfig, Route53Dns } from "../config-types";
import { clientIdAnnotation, workloadIdentityPodLabels } from "./aks-workload-identity";
import { addonRelease, deepMerge, type Values } from "./helm";

export interface ExternalDnsArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    readonly cloud: CloudContext;
    readonly dns: DnsConfig;
    /** fawkes:domain: the only names external-dns may write. */
    readonly domain: string;
    /** The platform's IngressClass: Ingresses of any other class get no record. */
    readonly ingressClassName: string;
    /** Hosts left alone: served only by the internal load balancer (fawkes:ingress.internal). */
    readonly excludedHosts?: readonly string[];
}

/** How external-dns synchronizes: create and update, never delete (see the header). */
export const externalDnsPolicy = "upsert-only";

/** Where the Azure provider reads azure.json (its --azure-config-file default). */
const azureConfigDir = "/etc/kubernetes";

/** Values for every provider: what external-dns watches, what it may write, and how it marks its records. */
export function externalDnsValues(args: Pick<ExternalDnsArgs, "app" | "dns" | "domain" | "ingressClassName" | "excludedHosts">): Values {
    return {
        // Named here, so the cloud identity is bound to it before the chart creates it.
        serviceAccount: { create: true, name: args.app.name },
        sources: ["ingress"],
        policy: externalDnsPolicy,
        registry: "txt",
        txtOwnerId: args.dns.ownerId,
        domainFilters: [args.domain],
        excludeDomains: [...(args.excludedHosts ?? [])],
    };
}

/** Route 53: the one hosted zone by id, also where it is a parent of fawkes:domain (aws-zone-match-parent). */
export function route53Values(dns: Route53Dns, region: string, ingressClassName: string): Values {
    return {
        provider: { name: "aws" },
        // Pod Identity brings the credentials; the SDK still wants a region (Route 53 itself is global).
        env: [{ name: "AWS_DEFAULT_REGION", value: region }],
        extraArgs: { "ingress-class": [ingressClassName], "zone-id-filter": [dns.zoneId], "aws-zone-match-parent": true },
    };
}

/**
 * Azure DNS: the zone by its name in its resource group (the domain filter may be a name under
 * it), credentials from workload identity, and azure.json (ids only, no secret) from a ConfigMap.
 */
export function azureDnsValues(dns: AzureDns, ingressClassName: string, configMapName: string, clientId: string): Values {
    return {
        provider: { name: "azure" },
        podLabels: { ...workloadIdentityPodLabels },
        serviceAccount: { annotations: { [clientIdAnnotation]: clientId } },
        extraVolumes: [{ name: "azure-config", configMap: { name: configMapName } }],
        extraVolumeMounts: [{ name: "azure-config", mountPath: azureConfigDir, readOnly: true }],
        extraArgs: { "ingress-class": [ingressClassName], "zone-name-filter": [dns.zone] },
    };
}

/** azure.json for workload identity (external-dns docs/tutorials/azure.md): where the zone is; the token comes from the webhook. */
export function azureConfigJson(dns: AzureDns, ids: { tenantId: string; subscriptionId: string }): string {
    return JSON.stringify({ tenantId: ids.tenantId, subscriptionId: ids.subscriptionId, resourceGroup: dns.resourceGroupName, useWorkloadIdentityExtension: true }, null, 2);
}

interface ProviderSetup {
    readonly values: pulumi.Input<Values>;
    /** What the pods need from their first start: the identity binding, the Azure config. */
    readonly before: pulumi.Resource[];
}

export class ExternalDns extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:ExternalDns", name, {}, opts);
        const common = externalDnsValues(args);
        const setup = args.dns.provider === "route53" ? this.route53(name, args, args.dns) : this.azureDns(name, args, args.dns);
        const values = pulumi.output(setup.values).apply((specific) => deepMerge(common, specific));
        this.release = addonRelease(name, { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values }, { parent: this, dependsOn: setup.before });
        this.registerOutputs({});
    }

    private route53(name: string, args: ExternalDnsArgs, dns: Route53Dns): ProviderSetup {
        if (args.cloud.kind !== "eks") {
            throw new Error("fawkes:dns with a Route 53 zone needs an eks cluster (config.ts allows it there only)");
        }
        /* eslint-disable-next-line @typescript-eslint/no-require-imports -- cloud SDKs load only for their backend */
        const { EksDnsIdentity, externalDnsRoute53Policy } = require("./dns-identity-eks") as typeof import("./dns-identity-eks");
        const identity = new EksDnsIdentity(
            `${name}-identity`,
            { cloud: args.cloud, namespace: args.app.namespace, serviceAccount: args.app.name, policy: (partition) => externalDnsRoute53Policy(partition, dns.zoneId, args.domain) },
            { parent: this },
        );
        // Pod Identity hands out credentials only to pods created after the association.
        const region = args.cloud.region;
        const values = identity.podAnnotations.apply((podAnnotations) => ({ ...route53Values(dns, region, args.ingressClassName), podAnnotations }));
        return { values, before: [identity.association] };
    }

    private azureDns(name: string, args: ExternalDnsArgs, dns: AzureDns): ProviderSetup {
        if (args.cloud.kind !== "aks") {
            throw new Error("fawkes:dns with an Azure DNS zone needs an aks cluster (config.ts allows it there only)");
        }
        /* eslint-disable-next-line @typescript-eslint/no-require-imports -- cloud SDKs load only for their backend */
        const { AksDnsIdentity } = require("./dns-identity-aks") as typeof import("./dns-identity-aks");
        const identity = new AksDnsIdentity(`${name}-identity`, { cloud: args.cloud, dns, namespace: args.app.namespace, serviceAccount: args.app.name, readResourceGroup: true }, { parent: this });
        const configMapName = `${args.app.name}-azure-config`;
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-azure-config`,
            {
                metadata: { name: configMapName, namespace: args.namespace },
                data: { "azure.json": pulumi.all([identity.tenantId, identity.subscriptionId]).apply(([tenantId, subscriptionId]) => azureConfigJson(dns, { tenantId, subscriptionId })) },
            },
            { parent: this, provider: args.provider },
        );
        return {
            values: identity.clientId.apply((clientId) => azureDnsValues(dns, args.ingressClassName, configMapName, clientId)),
            // The pod mounts the ConfigMap, and signs in through the federated credential.
            before: [configMap, ...identity.grants],
        };
    }
}
