// Setup Jobs: one-off configuration through an app's API that its chart cannot express
// (DevLake's DORA project, SonarQube's admin password). They live in the GitOps tree beside
// their app's Application, which syncs them as its second source one wave after the chart
// (so the app is healthy first) and are replaced when they change,
// since a Job's pod template is immutable. Each is sized by a Job workload in the app's
// catalog entry, so it counts in the namespace's quota.

import type { GitOpsApp } from "../catalog";
import { partOfLabel, poolLabel } from "../../policy/lib/labels";
import { devlakeApiUrl, doraSetupScript } from "./dora";
import { setupJobWave } from "./waves";

type Manifest = Record<string, unknown>;

/** curl, pinned by digest (curlimages/curl runs as uid 100, gid 101). */
export const setupImage = "curlimages/curl:8.18.0@sha256:d94d07ba9e7d6de898b6d96c1a072f6f8266c687af78a74f380087a0addf5d17";

interface SetupJobSpec {
    readonly app: GitOpsApp;
    /** The catalog workload (a Job without values path) that sizes it: the Job's name. */
    readonly workload: string;
    readonly script: string;
    readonly env?: readonly Record<string, unknown>[];
}

function setupJob(spec: SetupJobSpec): Manifest {
    const { app } = spec;
    const sizing = app.workloads.find((w) => w.name === spec.workload && w.kind === "Job");
    if (!sizing) {
        throw new Error(`catalog entry ${app.name} has no Job workload ${spec.workload} to size its setup Job by`);
    }
    const [container] = sizing.containers;
    const name = sizing.name;
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            namespace: app.namespace,
            labels: { "app.kubernetes.io/name": name, [partOfLabel.key]: partOfLabel.value },
            annotations: { "argocd.argoproj.io/sync-wave": String(setupJobWave(app)), "argocd.argoproj.io/sync-options": "Replace=true" },
        },
        spec: {
            backoffLimit: 3,
            template: {
                metadata: { labels: { "app.kubernetes.io/name": name } },
                spec: {
                    restartPolicy: "Never",
                    securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
                    nodeSelector: { [poolLabel]: app.pool },
                    containers: [
                        {
                            name: container.name,
                            image: setupImage,
                            command: ["/bin/sh", "-c", spec.script],
                            ...(spec.env ? { env: spec.env.map((e) => ({ ...e })) } : {}),
                            resources: { requests: { ...container.requests }, limits: { ...container.limits } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        },
                    ],
                    volumes: [{ name: "tmp", emptyDir: {} }],
                },
            },
        },
    };
}

/**
 * Replaces SonarQube's default admin password with the one in Vault, once: later runs find
 * the default refused (401) and leave the password alone.
 */
export const sonarqubeAdminScript = (api: string) => `set -eu
api=${api}
tries=0
until curl -fsS "$api/api/system/status" | grep -q '"status":"UP"'; do
  tries=$((tries + 1)); [ "$tries" -le 90 ] || { echo "SonarQube is not up"; exit 1; }
  sleep 10
done
status=$(curl -sS -o /dev/null -w '%{http_code}' -u admin:admin -X POST "$api/api/users/change_password" \\
  --data-urlencode login=admin --data-urlencode previousPassword=admin --data-urlencode "password=$ADMIN_PASSWORD")
case "$status" in
  200|204) echo "admin password set from Vault" ;;
  401) echo "admin password already changed" ;;
  *) echo "change_password: HTTP $status"; exit 1 ;;
esac
`;

/** The chart names its Service `<release>-sonarqube`, port 9000. */
export const sonarqubeUrl = (app: Pick<GitOpsApp, "name" | "namespace">) => `http://${app.name}-sonarqube.${app.namespace}.svc.cluster.local:9000`;

/** The setup Jobs of the enabled apps that have one. */
export function setupJobs(app: GitOpsApp): Manifest[] {
    switch (app.name) {
        case "devlake":
            return [setupJob({ app, workload: "devlake-dora-setup", script: doraSetupScript(devlakeApiUrl(app)) })];
        case "sonarqube":
            return [
                setupJob({
                    app,
                    workload: "sonarqube-admin-password",
                    script: sonarqubeAdminScript(sonarqubeUrl(app)),
                    env: [{ name: "ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: "sonarqube-admin", key: "password" } } }],
                }),
            ];
        default:
            return [];
    }
}
