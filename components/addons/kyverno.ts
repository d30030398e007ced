// Kyverno, the platform's baseline ValidatingPolicies and the catalog's PolicyExceptions
// (see kyverno-policies.ts), and the cluster-wide boundary rules (admission-rules.ts). Exceptions count only because the release enables them, and only
// in Kyverno's own namespace, where they are created.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CatalogApp } from "../catalog";
import type { NodePool } from "../cluster/types";
import { appProjectName, rootAppName, rootProjectName } from "../gitops/manifests";
import { privilegedBindings, webhookExceptions, wildcardRoles } from "./admission-allowlist";
import { admissionRuleInputs, admissionRules, isCoreApp } from "./admission-rules";
import { addonRelease } from "./helm";
import { policyExceptionFeature, policyExceptions, validatingPolicies } from "./kyverno-policies";

export interface KyvernoArgs {
    readonly app: CatalogApp;
    readonly namespace: pulumi.Input<string>;
    readonly pool: NodePool;
    readonly provider: k8s.Provider;
    /** Every catalog app, for their documented policy exceptions. */
    readonly apps: readonly CatalogApp[];
    /** The stack's fawkes:domain, for the Ingress host rule. */
    readonly domain: string;
}

/** Every Application of the stack and its project: the root app-of-apps and one per GitOps app. */
export function applicationProjects(apps: readonly CatalogApp[]): Record<string, string> {
    return { [rootAppName]: rootProjectName, ...Object.fromEntries(apps.filter((a) => !isCoreApp(a)).map((a) => [a.name, appProjectName(a)])) };
}

/** The cluster-wide boundary rules (admission-rules.ts) for this stack's catalog. */
export function stackAdmissionRules(apps: readonly CatalogApp[], domain: string) {
    return admissionRules(admissionRuleInputs({ domain, apps, applicationProjects: applicationProjects(apps), wildcardRoles, privilegedBindings, webhookExceptions }));
}

export class Kyverno extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly policies: k8s.apiextensions.CustomResource[];
    readonly exceptions: k8s.apiextensions.CustomResource[];

    constructor(name: string, args: KyvernoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:Kyverno", name, {}, opts);
        // Its hook Jobs' pods carry no app.kubernetes.io/name (Kyverno's webhooks skip its own
        // namespace, but background scans still report them).
        const hookLabels = { podLabels: { "app.kubernetes.io/name": "kyverno-hooks" } };
        const values = { features: { policyExceptions: policyExceptionFeature(args.app.namespace) }, crds: { migration: hookLabels }, webhooksCleanup: hookLabels };
        this.release = addonRelease(name, { app: args.app, namespace: args.namespace, pool: args.pool, provider: args.provider, values }, { parent: this });
        // The policies.kyverno.io CRDs and Kyverno's webhooks come with the release.
        const create = (resourceName: string, manifest: k8s.apiextensions.CustomResourceArgs) =>
            new k8s.apiextensions.CustomResource(resourceName, manifest, {
                parent: this,
                provider: args.provider,
                dependsOn: [this.release],
            });
        this.policies = [...validatingPolicies(), ...stackAdmissionRules(args.apps, args.domain)].map((p) => create(`${name}-${p.metadata.name}`, p));
        this.exceptions = policyExceptions(args.apps, args.app.namespace).map((e) =>
            // In the namespace the tenancy layer created (an output, so they wait for it too).
            create(`${name}-exception-${e.metadata.name}`, { ...e, metadata: { ...e.metadata, namespace: args.namespace } }),
        );
        this.registerOutputs({});
    }
}
