// Small, dependency-free helpers for validating stack configuration.
//
// Every check records a problem instead of throwing, so one `pulumi preview` reports
// everything that is wrong with a stack's config at once.

import * as pulumi from "@pulumi/pulumi";

/** One thing wrong with one config key. */
export interface ConfigProblem {
    /** Full key path as a user would type it, e.g. `fawkes:cluster.pools[1].count`. */
    readonly key: string;
    /** The offending value, rendered for humans. */
    readonly shown: string;
    /** What would have been accepted. */
    readonly allowed: string;
}

/** Thrown once, with every problem found, before any resource is registered. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: got ${p.shown}; allowed: ${p.allowed}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** Renders a config value for an error message, short enough to read in a terminal. */
export function show(value: unknown): string {
    if (value === undefined) {
        return "nothing (the key is unset)";
    }
    const text = JSON.stringify(value) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Collects problems while a config is parsed. */
export class Problems {
    private readonly list: ConfigProblem[] = [];

    add(key: string, value: unknown, allowed: string): void {
        this.list.push({ key, shown: show(value), allowed });
    }

    get count(): number {
        return this.list.length;
    }

    /** Throws a {@link ConfigError} if anything was recorded. */
    throwIfAny(): void {
        if (this.list.length > 0) {
            throw new ConfigError([...this.list]);
        }
    }
}

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads an object-valued key. Pulumi hands structured config to the program as a JSON
 * string; a plain string here usually means `pulumi config set` was used without `--path`.
 */
export function parseObject(problems: Problems, key: string, raw: string | undefined): PlainObject | undefined {
    if (raw === undefined) {
        return undefined;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw);
    } catch {
        parsed = raw;
    }
    if (!isPlainObject(parsed)) {
        problems.add(key, parsed, "an object; set its fields with `pulumi config set --path " + `${key}.<field> <value>\``);
        return undefined;
    }
    return parsed;
}

/** Reports every field of `obj` that is not in `known`: typos should not be silently ignored. */
export function rejectUnknownFields(problems: Problems, key: string, obj: PlainObject, known: readonly string[]): void {
    for (const field of Object.keys(obj)) {
        if (!known.includes(field)) {
            problems.add(`${key}.${field}`, obj[field], `no such field; known fields of ${key}: ${known.join(", ")}`);
        }
    }
}

export function oneOf<T extends string>(
    problems: Problems,
    key: string,
    value: unknown,
    choices: readonly T[],
    fallback: T | undefined,
): T | undefined {
    if (value === undefined) {
        if (fallback === undefined) {
            problems.add(key, value, `one of ${choices.join(" | ")} (required)`);
        }
        return fallback;
    }
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) {
        return value as T;
    }
    problems.add(key, value, `one of ${choices.join(" | ")}`);
    return fallback;
}

/**
 * Accepts a number or a numeric string: `pulumi config set --path` may store either,
 * depending on how the value was typed.
 */
export function numberIn(
    problems: Problems,
    key: string,
    value: unknown,
    range: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean; describe: string },
): number | undefined {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    const ok =
        Number.isFinite(n) &&
        (!range.integer || Number.isInteger(n)) &&
        (range.min === undefined || (range.minExclusive ? n > range.min : n >= range.min)) &&
        (range.max === undefined || n <= range.max);
    if (!ok) {
        problems.add(key, value, range.describe);
        return undefined;
    }
    return n;
}

/** Accepts a boolean or the strings "true"/"false" (how plain `pulumi config set` stores them). */
export function booleanValue(problems: Problems, key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) {
        return fallback;
    }
    if (value === true || value === "true") {
        return true;
    }
    if (value === false || value === "false") {
        return false;
    }
    problems.add(key, value, "true or false");
    return fallback;
}

export function stringMatching(
    problems: Problems,
    key: string,
    value: unknown,
    test: (s: string) => boolean,
    allowed: string,
): string | undefined {
    if (typeof value === "string" && test(value)) {
        return value;
    }
    problems.add(key, value, allowed);
    return undefined;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 label as Kubernetes uses it: lower-case alphanumerics and '-', at most 63 characters. */
export function isDnsLabel(s: string, maxLength = 63): boolean {
    return s.length <= maxLength && dnsLabel.test(s);
}

/** A fully qualified DNS name with at least two labels, e.g. `fawkes.example.com`. */
export function isDnsName(s: string): boolean {
    const labels = s.split(".");
    return s.length <= 253 && labels.length >= 2 && labels.every((l) => isDnsLabel(l)) && /[a-z]/.test(labels[labels.length - 1]);
}

export function isIpv4Cidr(s: string): boolean {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255 && String(Number(o)) === o) && Number(m[5]) <= 32;
}

/** Deep-freezes plain data (objects and arrays, not class instances such as Outputs). */
export function deepFreeze<T>(value: T): T {
    const plain = Array.isArray(value) || (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype);
    if (plain && !Object.isFrozen(value)) {
        for (const child of Object.values(value)) {
            deepFreeze(child);
        }
        Object.freeze(value);
    }
    return value;
}
