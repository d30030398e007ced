// Kubernetes resource quantities ("250m", "1", "128Mi", "2Gi") as numbers, and back.
// Used by the policy pack and, through components/quantity.ts, by the program.
// Only the suffixes the catalog uses are accepted, so a typo fails loudly.

const memoryUnits: Readonly<Record<string, number>> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
};

/** CPU quantity in millicores. */
export function parseCpu(quantity: string): number {
    const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity);
    if (!m) {
        throw new Error(`not a CPU quantity: ${JSON.stringify(quantity)}`);
    }
    return m[2] === "m" ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
}

/** Memory quantity in bytes. */
export function parseMemory(quantity: string): number {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G)?$/.exec(quantity);
    if (!m) {
        throw new Error(`not a memory quantity: ${JSON.stringify(quantity)}`);
    }
    return Math.round(Number(m[1]) * memoryUnits[m[2] ?? ""]);
}

export const formatCpu = (millicores: number): string => `${Math.ceil(millicores)}m`;

/** Bytes as whole MiB, rounded up so a quota is never smaller than what it must hold. */
export const formatMemory = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20)}Mi`;

export const gib = (bytes: number): number => bytes / 2 ** 30;
