// Pull-through registry caches for local (kind) stacks: one `registry` container per upstream
// registry the stack's images come from, on the Docker host, outside the cluster, so images
// are pulled from the internet once and survive `pulumi destroy` and new clusters. Every kind
// node uses them as mirrors through containerd's `config_path` (containerd 2, as kind's node
// images run it): one `certs.d/<registry>/hosts.toml` per registry, written into the nodes
// after the cluster exists, so adding a registry never replaces the cluster.
//
// Pure: names, ports, file contents and the shell scripts the kind backend runs (and the
// tests run against a stand-in `docker`).

import * as crypto from "node:crypto";

/** CNCF Distribution's registry 3.0.0 (multi-arch index), which proxies one upstream per container. */
export const cacheImage = "registry:3.0.0@sha256:6c5666b861f3505b116bb9aa9b25175e71210414bd010d92035ff64018f9457e";

/** Where nodes find the per-registry mirror files. */
export const certsDir = "/etc/containerd/certs.d";

/** containerd 2's CRI image service reads registry hosts from certs.d once this is set (kind's containerdConfigPatches). */
export const containerdConfigPatch = `[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "${certsDir}"\n`;

/** Registries whose API lives elsewhere than their name. */
const upstreamOf: Readonly<Record<string, string>> = { "docker.io": "https://registry-1.docker.io" };

/** Host ports of the well-known registries; others get one derived from the name. */
const knownPorts: Readonly<Record<string, number>> = {
    "docker.io": 5101,
    "ghcr.io": 5102,
    "quay.io": 5103,
    "registry.k8s.io": 5104,
    "mirror.gcr.io": 5105,
    "cr.fluentbit.io": 5106,
    "reg.kyverno.io": 5107,
    "ecr-public.aws.com": 5108,
    "docker.gitea.com": 5109,
    "public.ecr.aws": 5110,
};

export interface RegistryCache {
    /** The upstream registry as image references name it, e.g. `docker.io`. */
    readonly registry: string;
    readonly upstream: string;
    /** Docker container (and DNS name on the kind network) of the cache. */
    readonly container: string;
    /** Volume holding the cached blobs, kept with the container. */
    readonly volume: string;
    /** Port on 127.0.0.1 of the Docker host, for prefetching and inspection. */
    readonly hostPort: number;
}

const slug = (registry: string) => registry.replace(/[^a-z0-9]+/gi, "-").toLowerCase();

/** A port in 5200–5999 that stays the same for a registry whatever others the stack uses. */
function derivedPort(registry: string): number {
    return 5200 + (crypto.createHash("sha256").update(registry).digest().readUInt16BE(0) % 800);
}

export function registryCache(registry: string): RegistryCache {
    return {
        registry,
        upstream: upstreamOf[registry] ?? `https://${registry}`,
        container: `fawkes-cache-${slug(registry)}`,
        volume: `fawkes-cache-${slug(registry)}`,
        hostPort: knownPorts[registry] ?? derivedPort(registry),
    };
}

/** One cache per registry, sorted by registry. */
export function registryCaches(registries: readonly string[]): RegistryCache[] {
    return [...new Set(registries)].sort().map(registryCache);
}

/** The mirror file containerd reads for `cache.registry`: pull and resolve through the cache, else upstream. */
export function hostsToml(cache: RegistryCache): string {
    return [`server = "${cache.upstream}"`, "", `[host."http://${cache.container}:5000"]`, '  capabilities = ["pull", "resolve"]', ""].join("\n");
}

/**
 * Creates the cache container, or leaves a running one alone (it holds the downloads), on
 * the `kind` Docker network, listening on 127.0.0.1 only. Optional upstream credentials
 * arrive as REGISTRY_PROXY_USERNAME / REGISTRY_PROXY_PASSWORD in the environment.
 */
export function cacheScript(cache: RegistryCache): string {
    return `set -eu
if ! command -v docker >/dev/null 2>&1; then
  echo "docker must be on PATH for the image caches" >&2
  exit 127
fi
docker network inspect kind >/dev/null 2>&1 || docker network create kind >/dev/null
if [ "$(docker inspect --format '{{.State.Running}}' ${cache.container} 2>/dev/null || true)" = "true" ]; then
  echo "reusing ${cache.container}" >&2
  exit 0
fi
docker rm -f ${cache.container} >/dev/null 2>&1 || true
set -- --detach --restart unless-stopped --name ${cache.container} --network kind \\
  --publish 127.0.0.1:${cache.hostPort}:5000 --volume ${cache.volume}:/var/lib/registry \\
  --env REGISTRY_PROXY_REMOTEURL=${cache.upstream}
if [ -n "\${REGISTRY_PROXY_USERNAME:-}" ]; then
  set -- "$@" --env REGISTRY_PROXY_USERNAME --env REGISTRY_PROXY_PASSWORD
fi
docker run "$@" ${cacheImage} >/dev/null
echo "started ${cache.container} for ${cache.registry}" >&2
`;
}

/** Writes every cache's hosts.toml into every node of the kind cluster KIND_CLUSTER_NAME. */
export function mirrorScript(caches: readonly RegistryCache[]): string {
    const files = caches
        .map((c) => `  docker exec "$node" mkdir -p ${certsDir}/${c.registry}\n  printf '%s' '${hostsToml(c)}' | docker exec -i "$node" sh -c 'cat > ${certsDir}/${c.registry}/hosts.toml'`)
        .join("\n");
    return `set -eu
nodes=$(kind get nodes --name "$KIND_CLUSTER_NAME")
[ -n "$nodes" ] || { echo "kind cluster $KIND_CLUSTER_NAME has no nodes" >&2; exit 1; }
for node in $nodes; do
${files}
done
echo "mirrors for ${caches.map((c) => c.registry).join(", ")} on $(echo "$nodes" | wc -w | tr -d ' ') node(s)" >&2
`;
}

/** What removes the caches, which `pulumi destroy` leaves in place (README). */
export function removeCommand(caches: readonly RegistryCache[]): string {
    return `docker rm -f ${caches.map((c) => c.container).join(" ")} && docker volume rm ${caches.map((c) => c.volume).join(" ")}`;
}
