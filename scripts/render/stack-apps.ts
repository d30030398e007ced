// The catalog entries a stack runs and the nodes its pools have: the same selection the
// program makes in components/platform.ts, from the same functions.

import { type CatalogApp, stackCatalog } from "../../components/catalog";
import { kindNodePools } from "../../components/cluster/kind-config";
import { cloudNodePools, type NodePool } from "../../components/cluster/types";
import type { PlatformConfig } from "../../components/config";

export function stackApps(config: PlatformConfig): CatalogApp[] {
    return stackCatalog(config);
}

export function stackPools(config: PlatformConfig): NodePool[] {
    return config.cluster.provider === "kind" ? kindNodePools(config.cluster) : cloudNodePools(config.cluster.pools);
}
