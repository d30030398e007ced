// The Fawkes policy pack. This file only constructs the pack (which starts the analyzer
// gRPC server); the policies live in ./policies so tests can import them directly.

import { PolicyPack } from "@pulumi/policy";
import { namespacesHaveQuotas, resourceBudget } from "./policies/budget";
import { aksApiServerRestricted, aksRbac, eksEndpointAndEncryption, helmReleasePinned, imagesPinned, loadBalancerOnlyForIngress, noPrivilegedOrHostNamespaces } from "./policies/guardrails";
import { noPlaceholderValues } from "./policies/placeholders";
import { aksEntraOnlyWhenHa, kyvernoBeforeClusterPolicies, protectStatefulWhenHa } from "./policies/stack-guardrails";

new PolicyPack("fawkes", {
    description: "Fawkes platform: resource budget per node pool and the platform's guardrails.",
    enforcementLevel: "mandatory",
    policies: [
        resourceBudget,
        namespacesHaveQuotas,
        helmReleasePinned,
        loadBalancerOnlyForIngress,
        imagesPinned,
        noPrivilegedOrHostNamespaces,
        eksEndpointAndEncryption,
        aksRbac,
        aksApiServerRestricted,
        protectStatefulWhenHa,
        aksEntraOnlyWhenHa,
        kyvernoBeforeClusterPolicies,
        noPlaceholderValues,
    ],
});
