// Labels the program puts on nodes and namespaces and the policy pack reads back.

/** Node and namespace label naming the node pool. */
export const poolLabel = "fawkes.dev/pool";

/** Node labels declaring a node's capacity, for budgeting sizes the policy cannot look up. */
export const capacityCpuLabel = "fawkes.dev/capacity-cpu";
export const capacityMemoryLabel = "fawkes.dev/capacity-memory-gib";

/** Namespaces (and objects) the platform owns. */
export const partOfLabel = { key: "app.kubernetes.io/part-of", value: "fawkes" } as const;
