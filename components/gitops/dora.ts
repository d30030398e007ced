// DORA wiring: Argo CD reports every sync and every degraded app to DevLake's webhook plugin,
// so deployment frequency and change failure rate come from real deployment events (and
// incidents are opened for time to restore); a setup Job declares DevLake's webhook
// connection and its DORA project.
//
// DevLake's API checks API keys only under /rest (the path the UI proxies); the lake service
// inside the cluster answers /plugins/... and /projects directly, so Argo CD and the Job call
// it there, by connection name, and no key has to be handed around.

import { stringify } from "yaml";
import type { GitOpsApp } from "../catalog";

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

// One incident per degradation: keyed by the app and the time its health changed (letters
// and digits only, so the key can also be used in DevLake's close URL).
const incidentBody = `{
  "issueKey": {{ printf "argocd-%s-%s" .app.metadata.name (regexReplaceAll "[^0-9A-Za-z]" (dig "status" "health" "lastTransitionTime" "unknown" .app) "") | toJson }},
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
 * Creates DevLake's webhook connection and the DORA project that uses it, if missing (the
 * setup Job in the GitOps tree runs it once DevLake is healthy). Plain sh and curl, no jq:
 * the image has none, so JSON is read with sed.
 */
export const doraSetupScript = (api: string) => `set -eu
api=${api}
body="\${TMPDIR:-/tmp}/devlake-response"
connection=${devlakeWiring.connection}
project=${devlakeWiring.project}
call() { curl -sS -o "$body" -w '%{http_code}' -H 'Content-Type: application/json' "$@"; }

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
connection_id=$(sed -n 's/^{"name":"[^"]*","id":\\([0-9]*\\),.*/\\1/p' "$body")
[ -n "$connection_id" ] || { echo "webhook connection $connection: no id in DevLake's answer"; exit 1; }

status=$(call "$api/projects/$project")
if [ "$status" = 404 ]; then
  call -X POST "$api/projects" -d "{\\"name\\":\\"$project\\",\\"description\\":\\"DORA metrics from Argo CD deployments\\",\\"metrics\\":[{\\"pluginName\\":\\"dora\\",\\"pluginOption\\":{},\\"enable\\":true}]}" >/dev/null
  status=$(call "$api/projects/$project")
fi
[ "$status" = 200 ] || { echo "project $project: HTTP $status"; exit 1; }
blueprint_id=$(sed -n 's/.*"id":\\([0-9]*\\),"createdAt".*/\\1/p' "$body" | head -n 1)
[ -n "$blueprint_id" ] || { echo "project $project: no blueprint in DevLake's answer"; exit 1; }

# This Job owns the project: its blueprint holds exactly the webhook connection.
if ! grep -q "\\"pluginName\\":\\"webhook\\",\\"connectionId\\":$connection_id[,}]" "$body"; then
  status=$(call -X PATCH "$api/blueprints/$blueprint_id" -d "{\\"enable\\":true,\\"cronConfig\\":\\"0 * * * *\\",\\"connections\\":[{\\"pluginName\\":\\"webhook\\",\\"connectionId\\":$connection_id,\\"scopes\\":[]}]}")
  [ "$status" = 200 ] || { echo "blueprint $blueprint_id: HTTP $status"; exit 1; }
  echo "first DORA run: HTTP $(call -X POST "$api/blueprints/$blueprint_id/trigger" -d '{}')"
fi
echo "DevLake: connection $connection ($connection_id) in project $project (blueprint $blueprint_id)"
`;
