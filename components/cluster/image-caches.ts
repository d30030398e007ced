// The kind backend's image caches (see image-cache.ts): a container per upstream registry on
// the Docker host, created or reused, and left in place by `pulumi destroy` (the Commands
// have no delete step: the caches outlive clusters, which is their point); then, once the
// cluster exists, each node's containerd mirror files.

import * as local from "@pulumi/command/local";
import * as pulumi from "@pulumi/pulumi";
import { cacheScript, mirrorScript, type RegistryCache } from "./image-cache";

export interface ImageCachesArgs {
    readonly caches: readonly RegistryCache[];
    readonly clusterName: string;
    /** The kind cluster's create step: mirrors are written into its nodes after it. */
    readonly cluster: pulumi.Resource;
    /** Secret JSON `{"username", "token"}` for Docker Hub, used by the docker.io cache. */
    readonly dockerHubCredentials?: pulumi.Output<string>;
}

function dockerHubEnvironment(credentials: pulumi.Output<string>): pulumi.Output<Record<string, string>> {
    return pulumi.secret(
        credentials.apply((text): Record<string, string> => {
            const parsed = JSON.parse(text) as { username?: unknown; token?: unknown };
            if (typeof parsed.username !== "string" || typeof parsed.token !== "string") {
                throw new Error('fawkes:dockerHubCredentials: got an object without string "username" and "token"; allowed: {"username": "...", "token": "..."} (a Docker Hub access token)');
            }
            return { REGISTRY_PROXY_USERNAME: parsed.username, REGISTRY_PROXY_PASSWORD: parsed.token };
        }),
    );
}

export class ImageCaches extends pulumi.ComponentResource {
    constructor(name: string, args: ImageCachesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:cluster:ImageCaches", name, {}, opts);
        const caches = args.caches.map(
            (cache) =>
                new local.Command(
                    `${name}-${cache.container}`,
                    {
                        create: cacheScript(cache),
                        ...(cache.registry === "docker.io" && args.dockerHubCredentials ? { environment: dockerHubEnvironment(args.dockerHubCredentials) } : {}),
                        logging: "stderr",
                    },
                    { parent: this },
                ),
        );
        new local.Command(
            `${name}-mirrors`,
            {
                create: mirrorScript(args.caches),
                environment: { KIND_CLUSTER_NAME: args.clusterName },
                // A new registry rewrites the files in place; the cluster stays.
                triggers: args.caches.map((c) => c.registry),
                logging: "stderr",
            },
            { parent: this, dependsOn: [args.cluster, ...caches] },
        );
        this.registerOutputs({});
    }
}
