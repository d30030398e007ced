// Minimal `--name value` argument parsing for the npm scripts.

export function option(name: string, fallback?: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export function requireOption(name: string, allowed: string): string {
    const value = option(name);
    if (value === undefined) {
        console.error(`--${name} is required: ${allowed}`);
        process.exit(2);
    }
    return value;
}
