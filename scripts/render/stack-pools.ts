// The node pools a stack's cluster has, from the same functions the cluster backends use.

import { kindNodePools } from "../../components/cluster/kind-config";
import { cloudNodePools, type NodePool } from "../../components/cluster/types";
import type { PlatformConfig } from "../../components/config";

export function stackPools(config: PlatformConfig): NodePool[] {
    return config.cluster.provider === "kind" ? kindNodePools(config.cluster) : cloudNodePools(config.cluster.pools);
}
