// What an HA Vault needs to unseal itself with a cloud key: the `seal` stanza for its
// config and the service-account annotations and pod labels that give it the key's rights.

import type * as pulumi from "@pulumi/pulumi";

export interface VaultUnseal {
    /** HCL `seal "..." { ... }` block appended to the raft config. */
    readonly sealStanza: pulumi.Output<string>;
    readonly serviceAccountAnnotations: Record<string, pulumi.Input<string>>;
    readonly podLabels: Record<string, string>;
}

export interface VaultUnsealArgs {
    /** Vault's namespace and service account (the release name). */
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly protect: boolean;
}
