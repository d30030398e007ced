// Wires the layers of the platform together, in dependency order. Later layers (tenancy,
// core add-ons, GitOps) hang off the cluster this returns.

import * as pulumi from "@pulumi/pulumi";
import { createCluster, type PlatformCluster } from "./cluster";
import type { PlatformConfig } from "./config-types";

export interface Platform {
    readonly cluster: PlatformCluster;
}

export function buildPlatform(config: PlatformConfig): Platform {
    for (const warning of config.warnings) {
        void pulumi.log.warn(warning);
    }
    const cluster = createCluster({ config: config.cluster, protectStateful: config.ha, ha: config.ha });
    return { cluster };
}
