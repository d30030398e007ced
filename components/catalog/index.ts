// The platform catalog: every app the platform runs, as plain data plus pure functions.
//
// Each entry pins its chart exactly and lists every workload the chart runs, with replicas
// and per-container requests and limits. The Helm values' resources, replicas and node
// placement, the namespaces' quotas and the budget are all derived from these entries, so
// what the catalog declares is what runs. Chart facts (repo URLs, versions, values keys)
// were read from each chart's own Chart.yaml and values.yaml at the tag named.
//
// Layout: types.ts (the entry shapes), build.ts (helpers), core.ts (what Pulumi installs),
// apps/<group>.ts (what Argo CD runs, one file per AppProject group).

import { cloudNativePg, velero } from "./apps/data";
import { argoRollouts, devlake, jenkins } from "./apps/delivery";
import { fluentBit, grafana, kiali, kubePrometheusStack, loki, openTelemetryOperator, tempo } from "./apps/observability";
import { falco, sealedSecrets, trivyOperator } from "./apps/security";
import type { GitOpsApp } from "./types";

export * from "./types";
export { coreAddons } from "./core";

/** Every app Argo CD can run, enabled or not; `fawkes:apps` switches them. */
export function gitopsApps(): GitOpsApp[] {
    return [
        cloudNativePg(),
        argoRollouts(),
        trivyOperator(),
        kubePrometheusStack(),
        grafana(),
        jenkins(),
        devlake(),
        loki(),
        tempo(),
        fluentBit(),
        openTelemetryOperator(),
        // Optional: off by default, pinned and sized so switching one on is one config line
        // and the budget shows what it costs.
        sealedSecrets(),
        falco(),
        velero(),
        kiali(),
    ];
}

/** Names `fawkes:apps` accepts. */
export function catalogAppNames(): string[] {
    return gitopsApps().map((a) => a.name);
}

/** The apps a stack runs: defaults, overridden by `fawkes:apps`. */
export function enabledGitopsApps(switches: Readonly<Record<string, boolean>>): GitOpsApp[] {
    return gitopsApps().filter((a) => switches[a.name] ?? a.enabledByDefault);
}
