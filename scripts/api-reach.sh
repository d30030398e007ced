#!/usr/bin/env bash
# The production deploy jobs' reach path (README, "Reaching the cluster"), one copy for both
# clouds. .github/workflows/deploy.yml runs, in this order:
#   scripts/api-reach.sh open                admit this runner's /32 for the run (public mode)
#   scripts/api-reach.sh renew-vault-token   keep the Vault layer's periodic token alive
#   (pulumi up)
#   scripts/api-reach.sh close               remove the /32 again, whatever happened before
# Environment: STACK, CLUSTER_TYPE (the cluster resource's type in the state), RUNNER_VARIABLE
# (the repository variable naming a runner inside the cluster's network), GITHUB_OUTPUT.
set -euo pipefail

# The cluster resource in the state (none before the first run), as a jq filter ($type is jq's).
# shellcheck disable=SC2016
cluster_filter='first(.deployment.resources[]? | select(.type == $type))'

cluster_field() {
    jq -r --arg type "$CLUSTER_TYPE" "$cluster_filter | $1" <<<"$2"
}

open() {
    local mode cidr state urn endpoint
    mode="$(pulumi config get --stack "$STACK" --path fawkes:cluster.apiAccess.mode)"
    if [ "$mode" != public ]; then
        if [ "${RUNNER_ENVIRONMENT:-}" = github-hosted ]; then
            echo "::error::fawkes:cluster.apiAccess.mode is $mode: a GitHub-hosted runner cannot reach the API server; set the repository variable $RUNNER_VARIABLE to the label of a runner inside (or peered with) the cluster's network (README, Reaching the cluster)"
            exit 1
        fi
        echo "apiAccess.mode $mode: this runner reaches the API server from inside the network"
        return
    fi
    cidr="$(node_modules/.bin/ts-node --transpile-only scripts/deployer-cidr.ts)"
    pulumi config set --stack "$STACK" --path fawkes:cluster.apiAccess.deployerCidr "$cidr"
    echo "opened=true" >> "$GITHUB_OUTPUT"
    state="$(pulumi stack export --stack "$STACK")"
    urn="$(cluster_field '.urn // ""' "$state")"
    # EKS outputs its endpoint, AKS its FQDN.
    endpoint="$(cluster_field '.outputs.endpoint // ("https://" + .outputs.fqdn)' "$state")"
    if [ -z "$urn" ]; then
        echo "No cluster yet: it is created with $cidr among the ranges it admits"
        return
    fi
    pulumi up --stack "$STACK" --target "$urn" --yes --non-interactive \
        --policy-pack policy --policy-pack-config policy/policy-config.deploy.json
    # A new range takes a moment to apply (AKS: up to two minutes): wait until the endpoint
    # answers this runner (any HTTP status).
    for _ in $(seq 1 30); do
        if curl -sk -o /dev/null --max-time 5 "$endpoint/version"; then
            return
        fi
        sleep 10
    done
    echo "::error::$endpoint does not answer this runner ($cidr) 5 minutes after it was admitted"
    exit 1
}

# The token is periodic (README, HA Vault: one-time init): renewing it on every deploy keeps it
# alive. It travels on stdin, never in argv. A failed renewal (Vault down or sealed, a token
# already expired) warns and does not block the deploy that may fix it.
renew_vault_token() {
    if ! pulumi config get --stack "$STACK" fawkes:vaultToken > /dev/null 2>&1; then
        echo "fawkes:vaultToken is not set yet: nothing to renew"
        return
    fi
    local kubeconfig="$RUNNER_TEMP/kubeconfig"
    pulumi stack output --stack "$STACK" kubeconfig --show-secrets > "$kubeconfig"
    # shellcheck disable=SC2016 # $(cat) runs in the pod's shell
    pulumi config get --stack "$STACK" fawkes:vaultToken \
        | KUBECONFIG="$kubeconfig" kubectl -n vault exec -i svc/vault-active -c vault -- sh -c 'VAULT_TOKEN="$(cat)" vault token renew > /dev/null' \
        || echo "::warning::the Vault layer's token was not renewed; renew it by hand (README, HA Vault: one-time init)"
    rm -f "$kubeconfig"
}

# No policy pack: closing only narrows the endpoint, and no finding elsewhere in the stack may
# keep it open. If this cannot run (a lost runner), the next run's opening replaces the stale address.
close() {
    local urn
    pulumi config rm --stack "$STACK" --path fawkes:cluster.apiAccess.deployerCidr
    urn="$(cluster_field '.urn // ""' "$(pulumi stack export --stack "$STACK")")"
    if [ -n "$urn" ]; then
        pulumi up --stack "$STACK" --target "$urn" --yes --non-interactive
    fi
}

case "${1:-}" in
    open) open ;;
    renew-vault-token) renew_vault_token ;;
    close) close ;;
    *)
        echo "usage: $0 open | renew-vault-token | close" >&2
        exit 2
        ;;
esac
