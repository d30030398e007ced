// The platform's external URLs. On kind the ingress answers on the stack's host ports, so a
// URL carries the port whenever it is not the scheme's default; every URL the program
// writes (outputs, app settings, the Vault and Git addresses it uses itself) comes from here.

import type { PlatformConfig } from "./config-types";

/** The port https URLs of the platform's hosts use. */
export function httpsPort(config: Pick<PlatformConfig, "cluster">): number {
    return config.cluster.provider === "kind" ? config.cluster.hostPorts.https : 443;
}

/** `https://<host>.<domain>[:port]` for a catalog host. */
export function externalUrl(config: Pick<PlatformConfig, "cluster" | "domain">, host: string): string {
    const port = httpsPort(config);
    return `https://${host}.${config.domain}${port === 443 ? "" : `:${port}`}`;
}
