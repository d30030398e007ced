// Values the shipped stack files carry only as examples: the reserved example domains
// (RFC 2606), the documentation address ranges (RFC 5737) and this project's own repository. Previews and mocked tests of the shipped
// files must still run, so the program only warns; a deploy is stopped by the policy pack.

/** Domains reserved for documentation; nobody can get a certificate or a record under them. */
export const placeholderDomains = ["example.com", "example.org", "example.net"] as const;

/** The repository the shipped stack files name: Argo CD would sync this project's own tree, not yours. */
export const shippedRepository = "https://github.com/fawkes-platform/fawkes.git";

/** IPv4 ranges reserved for documentation (RFC 5737): no runner or office has an address in them. */
export const documentationRanges = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"] as const;

export interface PlaceholderCandidates {
    readonly domain?: string;
    readonly acmeEmail?: string;
    readonly repoURL?: string;
    /** The ranges the cluster's API server admits (fawkes:cluster.apiAccess.cidrs). */
    readonly apiCidrs?: readonly string[];
}

/** Whether a CIDR lies inside one of the documentation /24s. */
function inDocumentationRange(cidr: string): boolean {
    const [address, bits] = cidr.split("/");
    const prefix = address.split(".").slice(0, 3).join(".");
    return Number(bits) >= 24 && documentationRanges.some((range) => range.startsWith(`${prefix}.`));
}

const underPlaceholder = (name: string) => placeholderDomains.some((d) => name === d || name.endsWith(`.${d}`));

/** One sentence per placeholder found, naming the config key to set. */
export function placeholderProblems(values: PlaceholderCandidates): string[] {
    const problems: string[] = [];
    if (values.domain !== undefined && underPlaceholder(values.domain.toLowerCase())) {
        problems.push(`fawkes:domain is ${values.domain}, under a reserved example domain: set the domain your platform's DNS records live under`);
    }
    const emailDomain = values.acmeEmail?.split("@")[1]?.toLowerCase();
    if (emailDomain !== undefined && underPlaceholder(emailDomain)) {
        problems.push(`fawkes:tls.email is ${values.acmeEmail}: Let's Encrypt sends expiry notices there; set your team's address`);
    }
    if (values.repoURL !== undefined && values.repoURL.replace(/\/$/, "") === shippedRepository) {
        problems.push(`fawkes:gitops.repoURL is ${values.repoURL}, the repository the stack files ship with: point it at your fork, which holds your platform/<stack>/ tree`);
    }
    const examples = (values.apiCidrs ?? []).filter(inDocumentationRange);
    if (examples.length > 0) {
        problems.push(`fawkes:cluster.apiAccess.cidrs holds ${examples.join(", ")}, a documentation range: list the egress ranges your team reaches the API server from`);
    }
    return problems;
}
