// A local kind cluster, created and deleted by the program through the kind CLI.

import * as local from "@pulumi/command/local";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KindClusterConfig } from "../config-types";
import { kindRelease } from "../kubernetes-versions";
import { inventoryRegistries, stackImages } from "../image-inventory";
import { registryCaches } from "./image-cache";
import { ImageCaches } from "./image-caches";
import { KindPreflight, warnKindPreflight } from "./kind-preflight-resource";
import { kindNodePools, renderKindConfig } from "./kind-config";
import type { NodePool, PlatformCluster } from "./types";

export interface KindClusterArgs {
    readonly config: KindClusterConfig;
    /** Secret JSON `{"username", "token"}` for the docker.io image cache. */
    readonly dockerHubCredentials?: pulumi.Output<string>;
    /** Catalog apps the stack runs, for the images its nodes will pull. */
    readonly apps: readonly string[];
    /** The platform's steady-state requests, held against Docker's memory and CPUs before the cluster is created. */
    readonly steadyStateRequests?: { readonly cpuMillicores: number; readonly memoryBytes: number };
}

/** Docker Hub's anonymous pull limit per IP address and 6 hours, as documented when this was written. */
export const dockerHubAnonymousPulls = 100;

/** The rendered inventory that holds every app's images (dev with every optional app on). */
const allAppsInventory = "dev-all-apps";

// kind writes its progress to stderr; stdout carries only the kubeconfig, read from kind
// itself rather than from the user's ~/.kube/config.
const createScript = `set -eu
if ! command -v kind >/dev/null 2>&1; then
  echo "kind (${kindRelease}) must be on PATH: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
  exit 127
fi
config_file=$(mktemp)
trap 'rm -f "$config_file"' EXIT
printf '%s\\n' "$KIND_CONFIG" > "$config_file"
kind create cluster --name "$KIND_CLUSTER_NAME" --config "$config_file" --wait 5m >&2
kind get kubeconfig --name "$KIND_CLUSTER_NAME"
`;

const deleteScript = `set -eu
kind delete cluster --name "$KIND_CLUSTER_NAME"
`;

export class KindCluster extends pulumi.ComponentResource implements PlatformCluster {
    readonly provider: k8s.Provider;
    readonly pools: readonly NodePool[];
    readonly kubeconfig: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly cloud = { kind: "kind" } as const;
    readonly deletionAnchor: pulumi.Resource;

    constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:cluster:KindCluster", name, {}, opts);
        const { config } = args;
        this.pools = kindNodePools(config);
        const kindConfig = renderKindConfig(config);

        // Docker, its resources, the host ports and the kind binary: warnings in a preview,
        // errors in the step before the cluster is created.
        const preflightInput = {
            clusterName: config.name,
            hostPorts: { ...config.hostPorts },
            requests: args.steadyStateRequests ?? { cpuMillicores: 0, memoryBytes: 0 },
            nodes: this.pools.reduce((n, p) => n + p.count, 0),
            kindVersion: kindRelease,
        };
        if (pulumi.runtime.isDryRun()) {
            for (const warning of warnKindPreflight(preflightInput)) {
                void pulumi.log.warn(warning);
            }
        }
        const preflight = new KindPreflight(`${name}-preflight`, { ...preflightInput, rerunOn: kindConfig }, { parent: this });

        const cluster = new local.Command(
            `${name}-kind`,
            {
                create: createScript,
                delete: deleteScript,
                environment: { KIND_CLUSTER_NAME: config.name, KIND_CONFIG: kindConfig },
                // Never echo stdout: it is the admin kubeconfig.
                logging: "stderr",
            },
            {
                parent: this,
                additionalSecretOutputs: ["stdout"],
                // A kind cluster cannot be changed in place: any change recreates it, and the
                // old one must go first because the new one takes the same name.
                replaceOnChanges: ["*"],
                deleteBeforeReplace: true,
                dependsOn: [preflight],
            },
        );

        const nodes = this.pools.reduce((n, p) => n + p.count, 0);
        if (config.imageCache) {
            new ImageCaches(`${name}-image-caches`, { caches: registryCaches(inventoryRegistries()), clusterName: config.name, cluster, dockerHubCredentials: args.dockerHubCredentials }, { parent: this });
        } else {
            // Every node pulls its own copy; the inventory with every app on holds each app's images.
            const images = (stackImages(allAppsInventory) ?? []).filter((i) => i.registry === "docker.io" && i.apps.some((a) => args.apps.includes(a)));
            const pulls = images.length * nodes;
            if (pulls > dockerHubAnonymousPulls) {
                void pulumi.log.warn(
                    `fawkes:cluster.imageCache is false: the ${nodes} kind nodes will pull about ${pulls} images from Docker Hub, over its anonymous limit of ` +
                        `${dockerHubAnonymousPulls} pulls per 6 hours per address; turn the cache on, or log the nodes in to Docker Hub.`,
                );
            }
        }

        this.kubeconfig = pulumi.secret(cluster.stdout);
        this.deletionAnchor = cluster;
        this.clusterName = pulumi.output(config.name);
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            // A laptop cluster can vanish (Docker restarted, `kind delete`): let Pulumi drop
            // what it cannot reach instead of failing every later run.
            { kubeconfig: this.kubeconfig, deleteUnreachable: true },
            { parent: this },
        );
        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, pools: this.pools });
    }
}
