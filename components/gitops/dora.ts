// DORA wiring: Argo CD reports every sync and every degraded app to DevLake's webhook plugin,
// so deployment frequency, change failure rate and time to restore come from real deployment
// events; a setup Job declares DevLake's webhook connection and its DORA project.
//
// DevLake's API checks API keys only under /rest (the path the UI proxies); the lake service
// inside the cluster answers /plugins/... and /projects directly, so Argo CD and the Job call
// it there, by connection name, and no key has to be handed around.

import { stringify } from "yaml";
import type { GitOpsApp } from "../catalog";
import { partOfLabel, poolLabel } from "../../policy/lib/labels";

type Manifest = Record<string, unknown>;

/** What DevLake calls the deployments Argo CD reports, and the project that measures them. */
export const devlakeWiring = { connection: "argocd", project: "fawkes" } as const;

/** The lake API inside the cluster: the chart names its Service `<release>-lake`, port 8080. */
export const devlakeApiUrl = (devlake: Pick<GitOpsApp, "name" | "namespace">) => `http://${devlake.name}-lake.${devlake.namespace}.svc.cluster.local:8080`;

/** Triggers named after the Argo CD catalog's, prefixed so they cannot clash with a team's own. */
export const doraTriggers = ["devlake-on-sync-succeeded", "devlake-on-sync-failed", "devlake-on-health-degraded"] as const;

// Go templates for the notifications controller (sprig functions available). One request per
// sync operation: the deployment id is the operation's start time, so a retried delivery
// overwrites the same record instead of counting twice.
const deploymentBody = `{{- $op := .app.status.operationState -}}
{{- $revision := dig "status" "operationState" "syncResult" "revision" (dig "status" "sync" "revision" "unknown" .app) .app -}}
{{- $repo := dig "spec" "source" "repoURL" "" .app -}}
{
  "id": {{ printf "argocd/%s/%s" .app.metadata.name $op.startedAt | toJson }},
  "displayTitle": {{ printf "%s at %s" .app.metadata.name $revision | toJson }},
  "result": {{ if eq $op.phase "Succeeded" }}"SUCCESS"{{ else }}"FAILURE"{{ end }},
  "environment": "PRODUCTION",
  "originalEnvironment": {{ .app.spec.destination.namespace | default "" | toJson }},
  "createdDate": {{ $op.startedAt | toJson }},
  "startedDate": {{ $op.startedAt | toJson }},
  "finishedDate": {{ $op.finishedAt | default $op.startedAt | toJson }},
  "deploymentCommits": [{
    "repoUrl": {{ if $repo }}{{ call .repo.RepoURLToHTTPS $repo | toJson }}{{ else }}"unknown"{{ end }},
    "refName": {{ dig "spec" "source" "targetRevision" "HEAD" .app | toJson }},
    "commitSha": {{ $revision | toJson }},
    "commitMsg": {{ $op.message | default "" | toJson }},
    "startedDate": {{ $op.startedAt | toJson }},
    "finishedDate": {{ $op.finishedAt | default $op.startedAt | toJson }}
  }]
}
`;

const incidentBody = `{
  "issueKey": {{ printf "argocd/%s/%s" .app.metadata.name (dig "status" "operationState" "startedAt" "unknown" .app) | toJson }},
  "title": {{ printf "%s is degraded" .app.metadata.name | toJson }},
  "type": "INCIDENT",
  "status": "TODO",
  "originalStatus": "Degraded",
  "url": {{ printf "%s/applications/%s" .context.argocdUrl .app.metadata.name | toJson }},
  "createdDate": {{ dig "status" "health" "lastTransitionTime" (now | date "2006-01-02T15:04:05Z07:00") .app | toJson }}
}
`;

// The controller reads each template and trigger as a YAML document.
const webhookTemplate = (path: string, body: string) => stringify({ webhook: { devlake: { method: "POST", path, body } } }, { lineWidth: 0 });

const trigger = (description: string, when: string, oncePer: string, template: string) => stringify([{ description, when, oncePer, send: [template] }], { lineWidth: 0 });

/** The `notifications` values of the argo-cd chart that send DORA events to DevLake. */
export function doraNotifications(devlake: Pick<GitOpsApp, "name" | "namespace">): Record<string, unknown> {
    const operationStarted = "app.status.operationState.startedAt";
    return {
        notifiers: {
            "service.webhook.devlake": stringify({
                url: `${devlakeApiUrl(devlake)}/plugins/webhook/connections/by-name/${devlakeWiring.connection}`,
                headers: [{ name: "Content-Type", value: "application/json" }],
            }),
        },
        templates: {
            "template.devlake-deployment": webhookTemplate("/deployments", deploymentBody),
            "template.devlake-incident": webhookTemplate("/issues", incidentBody),
        },
        triggers: {
            "trigger.devlake-on-sync-succeeded": trigger(
                "A sync finished: a successful deployment",
                "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']",
                operationStarted,
                "devlake-deployment",
            ),
            "trigger.devlake-on-sync-failed": trigger(
                "A sync failed: a failed deployment",
                "app.status.operationState != nil and app.status.operationState.phase in ['Error', 'Failed']",
                operationStarted,
                "devlake-deployment",
            ),
            "trigger.devlake-on-health-degraded": trigger(
                "The app is degraded: an incident",
                "app.status.health.status == 'Degraded'",
                "app.status.health.lastTransitionTime",
                "devlake-incident",
            ),
        },
        // Every Application reports, the platform's and the teams' alike.
        subscriptions: [{ recipients: ["devlake"], triggers: [...doraTriggers] }],
    };
}

/**
 * Creates DevLake's webhook connection and the DORA project that uses it, if missing, after
 * every sync of the root app (an Argo CD PostSync hook: DevLake is healthy by then). Plain sh
 * and curl, no jq: the image has none, so JSON is read with sed.
 */
const setupScript = (api: string) => `set -eu
api=${api}
connection=${devlakeWiring.connection}
project=${devlakeWiring.project}
call() { curl -sS -o /tmp/body -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }

tries=0
until [ "$(call "$api/ready")" = 200 ]; do
  tries=$((tries + 1)); [ "$tries" -le 120 ] || { echo "DevLake is not ready"; exit 1; }
  sleep 5
done

status=$(call "$api/plugins/webhook/connections/by-name/$connection")
if [ "$status" = 404 ]; then
  # The response carries the connection's API key: it is never printed.
  call -X POST "$api/plugins/webhook/connections" -d "{\\"name\\":\\"$connection\\"}" >/dev/null
  status=$(call "$api/plugins/webhook/connections/by-name/$connection")
fi
[ "$status" = 200 ] || { echo "webhook connection $connection: HTTP $status"; exit 1; }
# The connection object starts {"name":...,"id":N,...}.
connection_id=$(sed -n 's/^{"name":"[^"]*","id":\\([0-9]*\\),.*/\\1/p' /tmp/body)

status=$(call "$api/projects/$project")
if [ "$status" = 404 ]; then
  call -X POST "$api/projects" -d "{\\"name\\":\\"$project\\",\\"description\\":\\"DORA metrics from Argo CD deployments\\",\\"metrics\\":[{\\"pluginName\\":\\"dora\\",\\"pluginOption\\":{},\\"enable\\":true}]}" >/dev/null
  status=$(call "$api/projects/$project")
fi
[ "$status" = 200 ] || { echo "project $project: HTTP $status"; exit 1; }
blueprint_id=$(sed -n 's/.*"id":\\([0-9]*\\),"createdAt".*/\\1/p' /tmp/body | head -n 1)

# This Job owns the project: its blueprint holds exactly the webhook connection.
if ! grep -q "\\"pluginName\\":\\"webhook\\",\\"connectionId\\":$connection_id[,}]" /tmp/body; then
  status=$(call -X PATCH "$api/blueprints/$blueprint_id" -d "{\\"enable\\":true,\\"cronConfig\\":\\"0 * * * *\\",\\"connections\\":[{\\"pluginName\\":\\"webhook\\",\\"connectionId\\":$connection_id,\\"scopes\\":[]}]}")
  [ "$status" = 200 ] || { echo "blueprint $blueprint_id: HTTP $status"; exit 1; }
  echo "first DORA run: HTTP $(call -X POST "$api/blueprints/$blueprint_id/trigger" -d '{}')"
fi
echo "DevLake: connection $connection ($connection_id) in project $project (blueprint $blueprint_id)"
`;

/** The setup Job's container image: curl, pinned by digest (curlimages/curl runs as uid 100). */
export const setupImage = "curlimages/curl:8.18.0@sha256:d94d07ba9e7d6de898b6d96c1a072f6f8266c687af78a74f380087a0addf5d17";

/** The Job that declares the DevLake connection and project; `app` is the DevLake catalog entry. */
export function doraSetupJob(devlake: GitOpsApp): Manifest {
    const job = devlake.workloads.find((w) => w.name === "dora-setup");
    if (!job) {
        throw new Error(`catalog entry ${devlake.name} has no dora-setup workload to size the Job by`);
    }
    const [container] = job.containers;
    const name = "devlake-dora-setup";
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            namespace: devlake.namespace,
            labels: { "app.kubernetes.io/name": name, [partOfLabel.key]: partOfLabel.value },
            annotations: { "argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation" },
        },
        spec: {
            backoffLimit: 3,
            template: {
                metadata: { labels: { "app.kubernetes.io/name": name } },
                spec: {
                    restartPolicy: "Never",
                    securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
                    nodeSelector: { [poolLabel]: devlake.pool },
                    containers: [
                        {
                            name: "setup",
                            image: setupImage,
                            command: ["/bin/sh", "-c", setupScript(devlakeApiUrl(devlake))],
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
