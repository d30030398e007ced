// A small model of how Vault decides a request against a token's ACL policies, written from
// Vault's policy documentation (developer.hashicorp.com/vault/docs/concepts/policies):
// - a path is exact, or ends in the glob `*` (a prefix match; `*` only as the last character);
// - a `+` segment matches any characters within one path segment;
// - the same pattern in several policies: the union of their capabilities;
// - different matching patterns: only the highest-priority one applies, by the documented
//   rules (first wildcard later, no trailing `*`, fewer `+`, longer, lexicographically larger);
// - `deny` on the applying pattern refuses, whatever else it grants.
// Only what the platform's policies use is modelled; anything else is refused as unknown, so a
// policy this cannot read fails a test instead of passing unexamined.

export interface PathRule {
    readonly pattern: string;
    readonly capabilities: readonly string[];
}

const knownCapabilities = new Set(["create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", "recover"]);

/** The `path "…" { capabilities = […] }` blocks of an HCL policy; any other content is an error. */
export function parsePolicy(hcl: string): PathRule[] {
    const block = /path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g;
    const rules: PathRule[] = [];
    let rest = hcl;
    for (const m of hcl.matchAll(block)) {
        const capabilities = m[2]
            .split(",")
            .map((c) => c.trim())
            .filter((c) => c !== "")
            .map((c) => {
                const name = /^"([a-z]+)"$/.exec(c)?.[1];
                if (name === undefined || !knownCapabilities.has(name)) {
                    throw new Error(`policy path "${m[1]}": unknown capability ${c}`);
                }
                return name;
            });
        rules.push({ pattern: checkedPattern(m[1]), capabilities });
        rest = rest.replace(m[0], "");
    }
    if (rest.replace(/#[^\n]*/g, "").trim() !== "") {
        throw new Error(`policy has content this model does not read: ${rest.trim().slice(0, 80)}`);
    }
    return rules;
}

function checkedPattern(pattern: string): string {
    if (pattern.slice(0, -1).includes("*")) {
        throw new Error(`policy path "${pattern}": the glob * is supported only as the last character`);
    }
    const segments = (pattern.endsWith("*") ? pattern.slice(0, -1) : pattern).split("/");
    if (segments.some((s) => s.includes("+") && s !== "+")) {
        throw new Error(`policy path "${pattern}": + is modelled only as a whole segment`);
    }
    return pattern;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `pattern` matches the request path `path`. */
export function matches(pattern: string, path: string): boolean {
    const glob = checkedPattern(pattern).endsWith("*");
    const body = (glob ? pattern.slice(0, -1) : pattern)
        .split("/")
        .map((s) => (s === "+" ? "[^/]*" : escape(s)))
        .join("/");
    return new RegExp(`^${body}${glob ? ".*" : ""}$`, "s").test(path);
}

const firstWildcard = (p: string) => {
    const i = p.search(/[+*]/);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
};
const plusSegments = (p: string) => p.split("/").filter((s) => s === "+").length;

/** Positive when `a` has higher priority than `b` (Vault's documented rules, in order). */
export function comparePriority(a: string, b: string): number {
    if (firstWildcard(a) !== firstWildcard(b)) {
        return firstWildcard(a) - firstWildcard(b);
    }
    if (a.endsWith("*") !== b.endsWith("*")) {
        return a.endsWith("*") ? -1 : 1;
    }
    if (plusSegments(a) !== plusSegments(b)) {
        return plusSegments(b) - plusSegments(a);
    }
    if (a.length !== b.length) {
        return a.length - b.length;
    }
    return a < b ? -1 : a > b ? 1 : 0;
}

/** The capabilities a token with these policies has on `path`: those of the highest-priority matching pattern. */
export function capabilitiesOn(policies: readonly (readonly PathRule[])[], path: string): Set<string> {
    const byPattern = new Map<string, Set<string>>();
    for (const rule of policies.flat()) {
        const caps = byPattern.get(rule.pattern) ?? new Set<string>();
        rule.capabilities.forEach((c) => caps.add(c));
        byPattern.set(rule.pattern, caps);
    }
    const applying = [...byPattern.keys()].filter((p) => matches(p, path)).sort((a, b) => comparePriority(b, a))[0];
    const caps = applying === undefined ? new Set<string>() : byPattern.get(applying)!;
    return caps.has("deny") ? new Set() : caps;
}

/** Whether the policies allow `capability` on `path`. */
export const allows = (policies: readonly (readonly PathRule[])[], path: string, capability = "read") => capabilitiesOn(policies, path).has(capability);
