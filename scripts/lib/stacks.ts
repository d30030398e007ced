// The project's stacks: the stack files beside Pulumi.yaml and their validated config.

import * as fs from "node:fs";
import { parseConfig, type PlatformConfig, type RawConfig } from "../../components/config";
import { projectRoot, type StackConfig, stackFileConfig } from "./harness";

/** Stack names, from the `Pulumi.<stack>.yaml` files. */
export function stackNames(): string[] {
    return fs
        .readdirSync(projectRoot)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** A stack's config (by default its stack file's) as the program would receive it, validated by config.ts. */
export function stackConfig(stack: string, config: StackConfig = stackFileConfig(stack)): PlatformConfig {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith("fawkes:") && value !== undefined) {
            raw[key.slice("fawkes:".length)] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    const rawConfig: RawConfig = { ...raw, awsRegion: config["aws:region"] as string | undefined, azureLocation: config["azure-native:location"] as string | undefined };
    return parseConfig(rawConfig, stack);
}
