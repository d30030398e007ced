// DNS records and certificates that issue (production issue, points 3 and 4): external-dns with
// fawkes:dns (Route 53 through Pod Identity on prod, Azure DNS through workload identity on the
// prod-aks-dns variant), each identity scoped to the one zone; DNS-01 ClusterIssuers with
// fawkes:tls.solver dns01; and without fawkes:dns (prod-aks) no external-dns, the HTTP-01
// solver, and the `dns` output naming the wildcard record and the load balancer it points at.

import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { controllerServiceName } from "../components/addons/ingress-address";
import { serviceRecords } from "../components/dns-records";
import { dnsZoneContributorRole, readerRole } from "../components/addons/dns-identity-aks";
import { stackCatalog } from "../components/catalog";
import type { StackConfig } from "../scripts/lib/harness";
import { type CapturedResource, ofType, type RunResult, runStackFile, runStackFileOk, stackFileConfig } from "../scripts/lib/harness";
import { mockCall, mockState } from "../scripts/lib/mocks";
import { stackConfig } from "../scripts/lib/stacks";
import { resolveChart } from "../scripts/render/charts";
import { helmTemplate, type K8sObject } from "../scripts/render/helm-template";
import { podSecurityViolations } from "../scripts/render/psa";
import { withAzureDns } from "../scripts/render/sources";
import { ConfigError } from "../components/validation";

type Obj = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

const releaseType = "kubernetes:helm.sh/v3:Release";
const issuerType = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const one = (run: RunResult, type: string, name: string): CapturedResource => {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `one ${type} ${name}`);
    return found[0];
};
const release = (run: RunResult, name: string) => one(run, releaseType, name);
const values = (run: RunResult, name: string) => release(run, name).inputs.values as Obj;
const policyOf = (run: RunResult, name: string) => JSON.parse(String(one(run, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy)) as { Statement: Obj[] };
const solversOf = (run: RunResult) => ofType(run, issuerType).map((i) => at(i.inputs, "spec", "acme", "solvers") as Obj[]);

/** The problems parseConfig reports for prod's stack file changed by `change`. */
function problemsOf(stack: string, change: (c: StackConfig) => void): { key: string; shown: string; allowed: string }[] {
    const config = stackFileConfig(stack);
    change(config);
    try {
        stackConfig(stack, config);
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return [...e.problems];
    }
    return [];
}
const tlsOf = (c: StackConfig) => c["fawkes:tls"] as Obj;

/** The external-dns chart rendered with the values a run registered. */
async function renderExternalDns(run: RunResult): Promise<K8sObject> {
    const r = release(run, "external-dns");
    const chart = resolveChart({ repo: String((r.inputs.repositoryOpts as Obj).repo), name: String(r.inputs.chart), version: String(r.inputs.version) });
    const { objects } = await helmTemplate({ chart, releaseName: "external-dns", namespace: "external-dns", values: r.inputs.values as Obj, kubeVersion: "1.35.0", apiVersions: [] });
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "external-dns");
    assert.ok(deployment, "the chart renders Deployment external-dns");
    return deployment;
}
const podOf = (deployment: K8sObject) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "external-dns", namespace: "external-dns", ...(at(deployment, "spec", "template", "metadata") as Obj) }, spec: at(deployment, "spec", "template", "spec") as Obj });
const argsOf = (deployment: K8sObject) => (at(deployment, "spec", "template", "spec", "containers") as { name: string; args: string[] }[]).find((c) => c.name === "external-dns")!.args;

describe("DNS records and certificates that issue", function () {
    this.timeout(60_000);

    describe("config: fawkes:dns and fawkes:tls.solver, refused before anything is registered", () => {
        const rows: { name: string; stack: string; change: (c: StackConfig) => void; key: string; allowed: RegExp }[] = [
            {
                name: "fawkes:dns on kind",
                stack: "dev",
                change: (c) => (c["fawkes:dns"] = { zone: "fawkes.localtest.me", zoneId: "Z123" }),
                key: "fawkes:dns",
                allowed: /unset on kind/,
            },
            { name: "a zone that does not contain fawkes:domain", stack: "prod", change: (c) => (c["fawkes:dns"] = { zone: "example.org", zoneId: "Z123" }), key: "fawkes:dns.zone", allowed: /contains fawkes:domain fawkes\.example\.com/ },
            { name: "no zoneId on eks", stack: "prod", change: (c) => (c["fawkes:dns"] = { zone: "example.com" }), key: "fawkes:dns.zoneId", allowed: /Route 53 hosted zone id/ },
            { name: "an invalid zoneId on eks", stack: "prod", change: (c) => (c["fawkes:dns"] = { zone: "example.com", zoneId: "/hostedzone/z1" }), key: "fawkes:dns.zoneId", allowed: /Route 53 hosted zone id/ },
            { name: "no resourceGroupName on aks", stack: "prod-aks", change: (c) => (c["fawkes:dns"] = { zone: "example.com" }), key: "fawkes:dns.resourceGroupName", allowed: /resource group of the Azure DNS zone/ },
            {
                name: "dns01 without fawkes:dns",
                stack: "prod",
                change: (c) => {
                    delete c["fawkes:dns"];
                    c["fawkes:tls"] = { ...tlsOf(c), solver: "dns01" };
                },
                key: "fawkes:tls.solver",
                allowed: /set fawkes:dns/,
            },
            { name: "a solver with local-ca", stack: "dev", change: (c) => (c["fawkes:tls"] = { issuer: "local-ca", solver: "http01" }), key: "fawkes:tls.solver", allowed: /unset with the local-ca issuer/ },
        ];
        for (const row of rows) {
            it(`refuses ${row.name}, naming ${row.key}`, () => {
                const problems = problemsOf(row.stack, row.change);
                const problem = problems.find((p) => p.key === row.key);
                assert.ok(problem, `${row.key} among ${JSON.stringify(problems)}`);
                assert.match(problem.allowed, row.allowed);
            });
        }

        it("accepts prod's Route 53 zone (a parent of the domain) with the default owner id, and the DNS-01 solver", () => {
            const config = stackConfig("prod");
            assert.deepEqual(config.dns, { provider: "route53", zone: "example.com", zoneId: "Z00000000000EXAMPLE00", ownerId: "fawkes-prod" });
            assert.equal(config.tls.solver, "dns01");
        });
    });

    describe("prod: Route 53 through EKS Pod Identity, DNS-01 certificates", () => {
        let prod: RunResult;
        before(async () => {
            prod = await runStackFileOk("prod");
        });

        it("installs external-dns for the platform's records only, never deleting one", () => {
            const v = values(prod, "external-dns");
            assert.equal(at(v, "provider", "name"), "aws");
            assert.equal(v.policy, "upsert-only");
            assert.equal(v.registry, "txt");
            assert.equal(v.txtOwnerId, "fawkes-prod");
            assert.deepEqual(v.domainFilters, ["fawkes.example.com"]);
            assert.deepEqual(v.sources, ["ingress"]);
            assert.deepEqual(v.extraArgs, { "ingress-class": ["traefik"], "zone-id-filter": ["Z00000000000EXAMPLE00"], "aws-zone-match-parent": true });
            assert.equal(release(prod, "external-dns").inputs.namespace, "external-dns");
        });

        it("the chart turns those values into the controller's flags, on a pod that passes PSS restricted", async function () {
            if (process.env.FAWKES_CHART_MIRROR === undefined) {
                this.skip();
            }
            const deployment = await renderExternalDns(prod);
            const args = argsOf(deployment);
            for (const flag of ["--provider=aws", "--policy=upsert-only", "--registry=txt", "--txt-owner-id=fawkes-prod", "--domain-filter=fawkes.example.com", "--source=ingress", "--ingress-class=traefik", "--zone-id-filter=Z00000000000EXAMPLE00", "--aws-zone-match-parent"]) {
                assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
            }
            assert.equal(at(deployment, "spec", "template", "spec", "serviceAccountName"), "external-dns");
            assert.deepEqual(podSecurityViolations(podOf(deployment), "restricted"), []);
        });

        it("gives external-dns a role that may change only the zone's platform records", () => {
            const statements = policyOf(prod, "external-dns-identity").Statement;
            const zone = "arn:aws:route53:::hostedzone/Z00000000000EXAMPLE00";
            const change = statements.find((s) => s.Action === "route53:ChangeResourceRecordSets")!;
            assert.equal(change.Resource, zone);
            assert.deepEqual(at(change, "Condition", "ForAllValues:StringLike", "route53:ChangeResourceRecordSetsNormalizedRecordNames"), ["fawkes.example.com", "*.fawkes.example.com"]);
            // Every statement names exactly the zone, except ListHostedZones, which takes no resource.
            for (const s of statements) {
                assert.equal(s.Effect, "Allow");
                assert.deepEqual(s.Resource, s.Action === "route53:ListHostedZones" ? "*" : zone, String(s.Action));
            }
            assert.deepEqual(statements.map((s) => s.Action).sort(), ["route53:ChangeResourceRecordSets", "route53:ListHostedZones", "route53:ListResourceRecordSets"]);
        });

        it("binds that role to external-dns's service account only, before its pods start", () => {
            const association = one(prod, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "external-dns-identity");
            assert.equal(association.inputs.namespace, "external-dns");
            assert.equal(association.inputs.serviceAccount, "external-dns");
            const trust = JSON.parse(String(one(prod, "aws:iam/role:Role", "external-dns-identity").inputs.assumeRolePolicy)) as { Statement: Obj[] };
            assert.equal(at(trust.Statement[0], "Condition", "StringEquals", "aws:RequestTag/kubernetes-service-account"), "external-dns");
            assert.ok(release(prod, "external-dns").dependencies.includes(association.urn), "the release waits for the association");
            // A new or replaced association rolls the pods: Pod Identity only serves pods created after it.
            assert.deepEqual(values(prod, "external-dns").podAnnotations, { "fawkes.dev/pod-identity-association": association.state.associationArn });
        });

        it("both ClusterIssuers solve DNS-01 in the Route 53 zone, with no HTTP-01 solver and so no solver pods", () => {
            for (const solvers of solversOf(prod)) {
                assert.deepEqual(solvers, [{ dns01: { route53: { region: "eu-west-1", hostedZoneID: "Z00000000000EXAMPLE00" } } }]);
            }
            assert.equal(ofType(prod, issuerType).length, 2);
            const solverPods = stackCatalog(stackConfig("prod")).flatMap((a) => a.workloads.filter((w) => w.name === "cm-acme-http-solver"));
            assert.deepEqual(solverPods, []);
        });

        it("gives cert-manager's controller alone a role for _acme-challenge TXT records in the zone", () => {
            const statements = policyOf(prod, "cert-manager-dns01").Statement;
            const change = statements.find((s) => s.Action === "route53:ChangeResourceRecordSets")!;
            assert.equal(change.Resource, "arn:aws:route53:::hostedzone/Z00000000000EXAMPLE00");
            assert.deepEqual(at(change, "Condition", "ForAllValues:StringEquals", "route53:ChangeResourceRecordSetsRecordTypes"), ["TXT"]);
            assert.deepEqual(at(change, "Condition", "ForAllValues:StringLike", "route53:ChangeResourceRecordSetsNormalizedRecordNames"), ["_acme-challenge.fawkes.example.com", "_acme-challenge.*.fawkes.example.com"]);
            assert.deepEqual(statements.find((s) => s.Action === "route53:GetChange")?.Resource, "arn:aws:route53:::change/*");
            assert.equal(statements.length, 2);
            const association = one(prod, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "cert-manager-dns01");
            assert.deepEqual([association.inputs.namespace, association.inputs.serviceAccount], ["cert-manager", "cert-manager"]);
            assert.ok(release(prod, "cert-manager").dependencies.includes(association.urn), "cert-manager's pods start with their identity");
            assert.deepEqual(values(prod, "cert-manager").podAnnotations, { "fawkes.dev/pod-identity-association": association.state.associationArn });
        });

        it("outputs that external-dns keeps the records", () => {
            assert.deepEqual(prod.outputs.dns, { managedBy: "external-dns", provider: "route53", zone: "example.com", ownerId: "fawkes-prod" });
        });
    });

    describe("prod-aks with Azure DNS (as the prod-aks-dns render target) and Vault on the internal entrypoint: workload identity, DNS-01", () => {
        let aks: RunResult;
        before(async () => {
            const withVaultInternal = (c: StackConfig) => {
                withAzureDns(c);
                c["fawkes:ingress"] = { controller: "traefik", internal: { apps: ["vault"], sourceRanges: ["10.0.0.0/8"] } };
            };
            aks = await runStackFile("prod-aks", withVaultInternal);
            if (aks.error) {
                throw aks.error;
            }
        });
        const zoneId = "/subscriptions/00000000-0000-0000-0000-000000005ab5/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/fawkes-aks.example.com";
        const roleId = (id: string) => `/subscriptions/00000000-0000-0000-0000-000000005ab5/providers/Microsoft.Authorization/roleDefinitions/${id}`;
        const credential = (name: string) => one(aks, "azure-native:managedidentity:FederatedIdentityCredential", name);

        it("federates an identity with external-dns's service account only, on the cluster's OIDC issuer", () => {
            const federated = credential("external-dns-identity");
            assert.equal(federated.inputs.subject, "system:serviceaccount:external-dns:external-dns");
            assert.deepEqual(federated.inputs.audiences, ["api://AzureADTokenExchange"]);
            const cluster = ofType(aks, "azure-native:containerservice:ManagedCluster")[0];
            assert.ok(federated.dependencies.includes(cluster.urn), "the issuer is the cluster's own OIDC issuer");
        });

        it("lets it write the one zone (DNS Zone Contributor on the zone's id) and list the zones of its resource group", () => {
            const zone = one(aks, "azure-native:authorization:RoleAssignment", "external-dns-identity-zone").inputs;
            assert.equal(zone.scope, zoneId);
            assert.equal(zone.roleDefinitionId, roleId(dnsZoneContributorRole));
            const group = one(aks, "azure-native:authorization:RoleAssignment", "external-dns-identity-zone-group").inputs;
            assert.equal(group.scope, "/subscriptions/00000000-0000-0000-0000-000000005ab5/resourceGroups/rg-dns");
            assert.equal(group.roleDefinitionId, roleId(readerRole));
        });

        it("runs external-dns on Azure DNS with the identity's client id, azure.json without a secret", () => {
            const v = values(aks, "external-dns");
            assert.equal(at(v, "provider", "name"), "azure");
            assert.deepEqual(v.podLabels, { "azure.workload.identity/use": "true" });
            assert.equal(at(v, "serviceAccount", "annotations", "azure.workload.identity/client-id"), "external-dns-identity-client");
            assert.deepEqual(v.domainFilters, ["fawkes-aks.example.com"]);
            assert.deepEqual(v.extraArgs, { "ingress-class": ["traefik"], "zone-name-filter": ["fawkes-aks.example.com"] });
            const configMap = one(aks, "kubernetes:core/v1:ConfigMap", "external-dns-azure-config");
            const azureJson = JSON.parse(String(at(configMap.inputs, "data", "azure.json"))) as Obj;
            assert.deepEqual(azureJson, { tenantId: "00000000-0000-0000-0000-00000000te4a", subscriptionId: "00000000-0000-0000-0000-000000005ab5", resourceGroup: "rg-dns", useWorkloadIdentityExtension: true });
            assert.deepEqual(configMap.secretInputs, []);
            assert.ok(release(aks, "external-dns").dependencies.includes(configMap.urn), "the pod mounts the ConfigMap from its start");
        });

        it("leaves the hosts only the internal load balancer serves to the team, and outputs that load balancer's address", () => {
            assert.deepEqual(values(aks, "external-dns").excludeDomains, ["vault.fawkes-aks.example.com"]);
            assert.deepEqual(aks.outputs.dns, {
                managedBy: "external-dns",
                provider: "azure-dns",
                zone: "fawkes-aks.example.com",
                ownerId: "fawkes-prod-aks",
                internal: {
                    names: ["vault.fawkes-aks.example.com"],
                    type: "A",
                    service: "traefik/traefik-internal",
                    lookup: "kubectl -n traefik get service traefik-internal -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
                },
            });
        });

        it("the chart mounts azure.json where external-dns reads it, on a pod that passes PSS restricted", async function () {
            if (process.env.FAWKES_CHART_MIRROR === undefined) {
                this.skip();
            }
            const deployment = await renderExternalDns(aks);
            const args = argsOf(deployment);
            for (const flag of ["--provider=azure", "--policy=upsert-only", "--txt-owner-id=fawkes-prod-aks", "--ingress-class=traefik", "--zone-name-filter=fawkes-aks.example.com"]) {
                assert.ok(args.includes(flag), `${flag} in ${args.join(" ")}`);
            }
            assert.equal(at(deployment, "spec", "template", "metadata", "labels", "azure.workload.identity/use"), "true");
            const mounts = (at(deployment, "spec", "template", "spec", "containers") as { volumeMounts: Obj[] }[])[0].volumeMounts;
            assert.deepEqual(mounts, [{ name: "azure-config", mountPath: "/etc/kubernetes", readOnly: true }]);
            assert.deepEqual(podSecurityViolations(podOf(deployment), "restricted"), []);
        });

        it("cert-manager answers DNS-01 in Azure DNS with its own identity, which may only change the zone", () => {
            assert.equal(credential("cert-manager-dns01").inputs.subject, "system:serviceaccount:cert-manager:cert-manager");
            const grants = ofType(aks, "azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("cert-manager-dns01"));
            assert.deepEqual(
                grants.map((g) => [g.inputs.scope, g.inputs.roleDefinitionId]),
                [[zoneId, roleId(dnsZoneContributorRole)]],
            );
            for (const solvers of solversOf(aks)) {
                assert.deepEqual(solvers, [
                    {
                        dns01: {
                            azureDNS: {
                                subscriptionID: "00000000-0000-0000-0000-000000005ab5",
                                resourceGroupName: "rg-dns",
                                hostedZoneName: "fawkes-aks.example.com",
                                environment: "AzurePublicCloud",
                                managedIdentity: { clientID: "cert-manager-dns01-client" },
                            },
                        },
                    },
                ]);
            }
            const v = values(aks, "cert-manager");
            assert.deepEqual(v.podLabels, { "azure.workload.identity/use": "true" });
            assert.equal(at(v, "serviceAccount", "annotations", "azure.workload.identity/client-id"), "cert-manager-dns01-client");
        });
    });

    describe("prod-aks without fawkes:dns: the wildcard record is the team's", () => {
        let aks: RunResult;
        const reads: string[] = [];
        before(async () => {
            // The realistic mocks, recording every read (a `.get`: a resource registered with an id).
            const recording: pulumi.runtime.Mocks = {
                newResource: (args) => {
                    if (args.id) {
                        reads.push(`${args.type} ${args.id}`);
                    }
                    return { id: args.id || `${args.name}-id`, state: mockState(args) };
                },
                call: mockCall,
            };
            aks = await runStackFile("prod-aks", undefined, { mocks: recording });
            if (aks.error) {
                throw aks.error;
            }
        });

        it("installs no external-dns and no DNS identity", () => {
            assert.deepEqual(ofType(aks, releaseType).filter((r) => r.inputs.name === "external-dns"), []);
            assert.deepEqual(ofType(aks, "kubernetes:core/v1:Namespace").filter((n) => at(n.inputs, "metadata", "name") === "external-dns"), []);
            assert.deepEqual(ofType(aks, "azure-native:managedidentity:FederatedIdentityCredential").map((c) => c.name).filter((n) => n.startsWith("external-dns") || n.startsWith("cert-manager")), []);
        });

        it("keeps the HTTP-01 solver, whose pods carry the admission label, the platform pool and the catalog's resources", () => {
            for (const solvers of solversOf(aks)) {
                assert.equal(solvers.length, 1);
                assert.equal(at(solvers[0], "http01", "ingress", "ingressClassName"), "traefik");
                const template = at(solvers[0], "http01", "ingress", "podTemplate");
                assert.deepEqual(at(template, "metadata", "labels"), { "app.kubernetes.io/name": "cert-manager-acmesolver" });
                assert.deepEqual(at(template, "spec", "nodeSelector"), { "fawkes.dev/pool": "platform" });
                assert.deepEqual(at(template, "spec", "resources"), { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
            }
        });

        it("outputs the wildcard record, the controller's Service and the command that prints its address, without reading the cluster", () => {
            assert.deepEqual(aks.outputs.dns, {
                managedBy: "you",
                names: ["*.fawkes-aks.example.com"],
                type: "A",
                service: "traefik/traefik",
                lookup: "kubectl -n traefik get service traefik -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
            });
            // A read would fail whenever the run cannot reach the API server yet (the targeted opening, a PR preview).
            assert.deepEqual(reads, []);
        });

        it("an ELB's host name takes a CNAME, an Azure IP an A record; ingress-nginx's Service is <release>-controller", () => {
            assert.deepEqual(serviceRecords(["*.a.io"], "eks", "traefik", "traefik"), {
                names: ["*.a.io"],
                type: "CNAME",
                service: "traefik/traefik",
                lookup: "kubectl -n traefik get service traefik -o jsonpath='{.status.loadBalancer.ingress[0].hostname}'",
            });
            assert.equal(serviceRecords(["*.a.io"], "aks", "traefik", "traefik").type, "A");
            assert.equal(controllerServiceName("ingress-nginx", "ingress-nginx"), "ingress-nginx-controller");
            assert.equal(controllerServiceName("traefik", "traefik", "internal"), "traefik-internal");
        });
    });
});
