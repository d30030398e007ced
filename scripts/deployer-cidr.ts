// Prints this machine's public IPv4 address as a /32, the value of
// fawkes:cluster.apiAccess.deployerCidr for one `pulumi up` against a restricted API endpoint:
//
//   pulumi config set --path fawkes:cluster.apiAccess.deployerCidr "$(npm run -s deployer-cidr)"
//
// The address is the one the API server sees: this network's egress (a NAT, a VPN exit), as
// AWS's checkip service reports it in one plain-text line. The deploy workflow uses it too.

export const checkIpUrl = "https://checkip.amazonaws.com";

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const ipv4 = new RegExp(`^${octet}(\\.${octet}){3}$`);

/** The /32 of the address in checkip's answer; anything but one IPv4 address is refused. */
export function deployerCidr(answer: string): string {
    const address = answer.trim();
    if (!ipv4.test(address)) {
        throw new Error(`${checkIpUrl} answered ${JSON.stringify(address.slice(0, 60))}, not one IPv4 address (an IPv6-only network cannot use an IPv4 allow-list)`);
    }
    return `${address}/32`;
}

async function main(): Promise<void> {
    const response = await fetch(checkIpUrl, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => {
        throw new Error(`${checkIpUrl} did not answer (${e instanceof Error ? e.message : String(e)}): this machine needs outbound HTTPS to learn its address`);
    });
    if (!response.ok) {
        throw new Error(`${checkIpUrl} answered HTTP ${response.status}`);
    }
    process.stdout.write(`${deployerCidr(await response.text())}\n`);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(`deployer-cidr: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    });
}
