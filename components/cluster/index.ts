// Picks the cluster backend for the stack. Backends are loaded on demand so a kind stack
// never loads @pulumi/aws or @pulumi/azure-native (hundreds of MB of SDK and seconds of
// start-up), and an EKS stack never loads the Azure SDK.

import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config-types";
import type { PlatformCluster } from "./types";

export * from "./types";

export interface ClusterArgs {
    readonly config: ClusterConfig;
    /** Protect stateful cloud resources (cluster, keys, network) from deletion. */
    readonly protectStateful: boolean;
    /** ha stacks spread NAT gateways and node pools over zones. */
    readonly ha: boolean;
    /** kind only: secret Docker Hub credentials for the docker.io image cache. */
    readonly dockerHubCredentials?: pulumi.Output<string>;
    /** kind only: the catalog apps the stack runs (their images, for the pull-limit warning). */
    readonly apps: readonly string[];
    /** kind only: the platform's steady-state requests, which the preflight holds against Docker's resources. */
    readonly steadyStateRequests?: { readonly cpuMillicores: number; readonly memoryBytes: number };
}

export function createCluster(args: ClusterArgs, opts?: pulumi.ComponentResourceOptions): PlatformCluster {
    const name = args.config.name;
    switch (args.config.provider) {
        case "kind": {
            /* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load, see top of file */
            const { KindCluster } = require("./kind") as typeof import("./kind");
            return new KindCluster(name, { config: args.config, dockerHubCredentials: args.dockerHubCredentials, apps: args.apps, steadyStateRequests: args.steadyStateRequests }, opts);
        }
        case "eks": {
            /* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load, see top of file */
            const { EksCluster } = require("./eks") as typeof import("./eks");
            return new EksCluster(name, { config: args.config, protectStateful: args.protectStateful, ha: args.ha }, opts);
        }
        case "aks": {
            /* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load, see top of file */
            const { AksCluster } = require("./aks") as typeof import("./aks");
            return new AksCluster(name, { config: args.config, protectStateful: args.protectStateful, ha: args.ha }, opts);
        }
    }
}
