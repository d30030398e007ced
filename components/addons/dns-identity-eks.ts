// Route 53 rights for one service account of an EKS cluster, through EKS Pod Identity (the
// agent add-on is installed with the cluster): an IAM role only that service account of this
// cluster can assume, with one inline policy scoped to the stack's hosted zone. Used by
// external-dns (the platform's records) and, with fawkes:tls.solver dns01, by cert-manager
// (its challenge TXT records).

import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityTrustPolicy } from "../cluster/eks-pod-identity";
import type { CloudContext } from "../cluster/types";

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly Record<string, unknown>[];
}

/** The partition of an ARN (aws, aws-cn, aws-us-gov), which every Route 53 ARN must carry too. */
export function arnPartition(arn: string | undefined): string {
    // EKS always returns the cluster's ARN; mocks that echo inputs may not.
    return arn?.split(":")[1] || "aws";
}

export const hostedZoneArn = (partition: string, zoneId: string) => `arn:${partition}:route53:::hostedzone/${zoneId}`;

/** Names under fawkes:domain, as Route 53's normalized record names (lower case, no trailing dot). */
const namesUnder = (domain: string) => [domain, `*.${domain}`];

/**
 * external-dns v0.21 (provider/aws/aws.go) calls ListHostedZones (which takes no resource),
 * then ListResourceRecordSets and ChangeResourceRecordSets on the zones it kept;
 * ListTagsForResources only with --aws-zone-tags, which the platform does not use. Changes
 * are further held to the record types it manages (A/AAAA/CNAME and its TXT ownership
 * records) and to names under fawkes:domain, so the rest of a shared zone stays out of reach
 * whatever the controller is told.
 */
export function externalDnsRoute53Policy(partition: string, zoneId: string, domain: string): PolicyDocument {
    const zone = hostedZoneArn(partition, zoneId);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "PlatformRecordsInTheZone",
                Effect: "Allow",
                Action: "route53:ChangeResourceRecordSets",
                Resource: zone,
                Condition: {
                    "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME", "TXT"] },
                    "ForAllValues:StringLike": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": namesUnder(domain) },
                },
            },
            { Sid: "ReadTheZone", Effect: "Allow", Action: "route53:ListResourceRecordSets", Resource: zone },
            { Sid: "FindTheZone", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
        ],
    };
}

/**
 * cert-manager v1.21 (pkg/issuer/acme/dns/route53) calls ChangeResourceRecordSets to create
 * and delete the challenge's TXT record, then GetChange until Route 53 reports it in sync;
 * ListHostedZonesByName only without a hostedZoneID, which the issuer always sets. Changes are
 * held to TXT records named _acme-challenge under fawkes:domain.
 */
export function certManagerRoute53Policy(partition: string, zoneId: string, domain: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ChallengeRecordsInTheZone",
                Effect: "Allow",
                Action: "route53:ChangeResourceRecordSets",
                Resource: hostedZoneArn(partition, zoneId),
                Condition: {
                    "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
                    "ForAllValues:StringLike": { "route53:ChangeResourceRecordSetsNormalizedRecordNames": namesUnder(domain).map((n) => `_acme-challenge.${n}`) },
                },
            },
            { Sid: "WaitForTheChange", Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${partition}:route53:::change/*` },
        ],
    };
}

export interface EksDnsIdentityArgs {
    readonly cloud: Extract<CloudContext, { kind: "eks" }>;
    readonly namespace: string;
    readonly serviceAccount: string;
    /** The role's inline policy, for the cluster's partition. */
    readonly policy: (partition: string) => PolicyDocument;
}

export class EksDnsIdentity extends pulumi.ComponentResource {
    /** Pods started before it exists get no credentials: their release waits for it. */
    readonly association: eks.PodIdentityAssociation;
    /**
     * For the pods' template: Pod Identity injects credentials only into pods created after the
     * association, so a new or replaced association must roll pods that already run (DNS-01
     * switched on for a running cert-manager, say). Its ARN in an annotation does exactly that.
     */
    readonly podAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: EksDnsIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:EksDnsIdentity", name, {}, opts);
        const child = { parent: this, provider: args.cloud.provider };
        const { clusterArn } = args.cloud;
        const role = new iam.Role(name, { assumeRolePolicy: clusterArn.apply((arn) => podIdentityTrustPolicy(arn, args.namespace, args.serviceAccount)) }, child);
        new iam.RolePolicy(name, { role: role.name, policy: clusterArn.apply((arn) => JSON.stringify(args.policy(arnPartition(arn)))) }, child);
        this.association = new eks.PodIdentityAssociation(
            name,
            { clusterName: args.cloud.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: role.arn },
            child,
        );
        this.podAnnotations = this.association.associationArn.apply((arn): Record<string, string> => ({ "fawkes.dev/pod-identity-association": arn }));
        this.registerOutputs({});
    }
}
