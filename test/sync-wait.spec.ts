// `pulumi up` waits for Argo CD: the verdict on recorded Applications, the small Kubernetes
// client against a fake API server on 127.0.0.1 (bearer token, TLS client certificate made
// with openssl, an exec credential plugin stand-in), the wait loop, and the ArgoCdSyncWait
// provider serialized under mocks and run in a fresh node process, as Pulumi's
// dynamic-provider host runs it.
//
// The fixtures (test/fixtures/argocd/*.json) are ApplicationLists as the API returns them,
// written to the schema of argoproj/argo-cd v3.4.4 (the app of chart argo-cd 10.1.1):
// - field names and omitempty: pkg/apis/application/v1alpha1/types.go (ApplicationStatus,
//   SyncStatus, AppHealthStatus, ResourceStatus, ApplicationCondition, OperationState,
//   SyncOperationResult, ResourceResult, RevisionHistory);
// - health codes and their order: gitops-engine/pkg/health/health.go; operation phases and
//   result codes: gitops-engine/pkg/sync/common/types.go;
// - no `status.health.message` (deprecated, unset in v3), and `resourceHealthSource: appTree`
//   without `resources[].health` when the controller does not persist resource health (the v3
//   default, controller/health.go; docs/operator-manual/upgrading/2.14-3.0.md): missing-child;
//   the others as with `controller.resource.health.persist: "true"`;
// - messages: "waiting for healthy state of <group>/<kind>/<name>" (gitops-engine
//   sync_context.go setRunningPhase), "one or more objects failed to apply, reason: …" plus
//   " (retried N times)." (sync_context.go, controller/appcontroller.go), the auto-sync
//   SyncError "Failed last sync attempt to [rev]: …" (appcontroller.go), "Failed to load
//   target state: failed to generate manifest for source 1 of 1: …" as a ComparisonError with
//   sync status Unknown, as controller/state.go sets it when manifests cannot be loaded,
//   `Deployment "x" exceeded its progress deadline` and "Waiting for rollout to finish: …"
//   (gitops-engine health_deployment.go).
// Names, charts, namespaces, waves and labels are the platform's own (catalog, manifests.ts).

import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { TLSSocket } from "node:tls";
import * as pulumi from "@pulumi/pulumi";
import { captureDynamicResource } from "./support/dynamic-capture";
import { stringify } from "yaml";
import { isKubeApiError, kubeApiFromKubeconfig } from "../components/kube-api";
import { type ArgoApplication, evaluateSync, type SyncVerdict } from "../components/gitops/sync-status";
import { ArgoCdSyncWait, refreshAnnotation, syncWaitChanged, type SyncWaitInputs, type SyncWaitOutputs, waitForArgoCdSync } from "../components/gitops/sync-wait";

const seeded = "3f9c2a7d1e5b8c4a6f0d2e9b7a1c5d3e8f4b6a20";
const previous = "9b1e4d7c2a5f8e3b6d0c9a4f7e2b5d8c1a3f6e90";
const rootName = "fawkes-platform";
const expectedApps = ["backstage", "jenkins", "grafana"];
const applicationsPath = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications";

type Fixture = "healthy" | "progressing" | "degraded" | "out-of-sync" | "stale-root" | "missing-child" | "failed-sync";
interface ApplicationList {
    apiVersion: string;
    kind: string;
    metadata: { resourceVersion?: string; continue?: string };
    items: (ArgoApplication & { metadata: { name: string; annotations?: Record<string, string> } })[];
}
const fixture = (name: Fixture): ApplicationList =>
    JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "argocd", `${name}.json`), "utf8")) as ApplicationList;

/** revision null: none expected (a default parameter would turn undefined into seeded). */
function verdictOn(list: ApplicationList, revision: string | null = seeded, apps = expectedApps): SyncVerdict {
    return evaluateSync({ root: list.items.find((a) => a.metadata.name === rootName), rootName, applications: list.items, revision: revision ?? undefined, apps });
}
const problemNames = (v: SyncVerdict) => v.problems.map((p) => p.name).sort();
const reportLine = (v: SyncVerdict, start: string) => {
    const line = v.report.split("\n").find((l) => l.startsWith(start));
    assert.ok(line, `a report line starting "${start}" in:\n${v.report}`);
    return line;
};

describe("ArgoCdSyncWait: pulumi up waits until Argo CD has synced the platform", function () {
    describe("the verdict on recorded Applications", () => {
        it("all Synced and Healthy at the seeded commit: done, nothing to report", () => {
            const v = verdictOn(fixture("healthy"));
            assert.equal(v.done, true, v.report);
            assert.deepEqual(v.problems, []);
            assert.equal(v.report, "");
            assert.equal(v.rootRevision, seeded);
            assert.deepEqual(v.children, ["backstage", "grafana", "jenkins"]);
        });

        it("a degraded child: the unhealthy Deployment's own message, and the root held back by it", () => {
            const v = verdictOn(fixture("degraded"));
            assert.equal(v.done, false);
            assert.deepEqual(problemNames(v), ["fawkes-platform", "grafana"]);
            const grafana = v.problems.find((p) => p.name === "grafana")!;
            assert.deepEqual([grafana.health, grafana.sync, grafana.problem], ["Degraded", "Synced", "not-ready"]);
            assert.equal(reportLine(v, "grafana:"), 'grafana: Degraded / Synced — Deployment grafana: Deployment "grafana" exceeded its progress deadline');
            assert.equal(reportLine(v, "root "), "root fawkes-platform: Degraded / Synced — Application grafana: Degraded");
        });

        it("a child whose chart cannot be loaded (ComparisonError, sync Unknown) and a drifted one (OutOfSync)", () => {
            const v = verdictOn(fixture("out-of-sync"));
            assert.deepEqual(problemNames(v), ["backstage", "jenkins"]);
            const jenkins = v.problems.find((p) => p.name === "jenkins")!;
            assert.deepEqual([jenkins.sync, jenkins.health, jenkins.revision], ["Unknown", "Healthy", "5.9.99"]);
            assert.match(reportLine(v, "jenkins:"), /^jenkins: Healthy \/ Unknown — ComparisonError: Failed to load target state: .*chart "jenkins" version "5\.9\.99" not found/);
            assert.equal(reportLine(v, "backstage:"), "backstage: Healthy / OutOfSync — OutOfSync: Deployment backstage");
        });

        it("a root at another commit: compared in full, reported short, and flagged for a refresh", () => {
            const v = verdictOn(fixture("stale-root"));
            assert.equal(v.rootRevisionStale, true);
            assert.deepEqual(problemNames(v), ["fawkes-platform"]);
            assert.equal(v.report, "root fawkes-platform: synced revision 9b1e4d7, expected 3f9c2a7");
            // A prefix of the SHA is not the SHA.
            assert.equal(verdictOn(fixture("healthy"), seeded.slice(0, 12)).done, false);
            // No revision expected (a remote branch): any commit will do, once the status describes the current spec.
            const elsewhere = fixture("healthy");
            (elsewhere.items.find((a) => a.metadata.name === rootName)!.status!.sync as { revision: string }).revision = previous;
            assert.equal(verdictOn(elsewhere, null).done, true);
            assert.equal(verdictOn(elsewhere).done, false);
            assert.match(reportLine(verdictOn(fixture("stale-root"), null), "root "), /its status describes an older spec \(compared 9b1e4d7c\S+, spec wants 3f9c2a7d\S+\)/);
        });

        it("multi-source roots: a revision in status.sync.revisions counts", () => {
            const list = fixture("healthy");
            const root = list.items.find((a) => a.metadata.name === rootName)! as { status: { sync: Record<string, unknown> } };
            root.status.sync = { ...root.status.sync, revision: undefined, revisions: ["v1.2.0", previous.toUpperCase()] };
            assert.equal(verdictOn(list, previous).done, true);
            assert.equal(verdictOn(list, seeded).done, false);
        });

        it("a child the root has not created yet, with v3's default appTree resource health", () => {
            const v = verdictOn(fixture("missing-child"));
            assert.deepEqual(problemNames(v), ["fawkes-platform", "grafana"]);
            assert.equal(reportLine(v, "grafana"), "grafana: missing (the root has not created it yet)");
            const root = reportLine(v, "root ");
            assert.match(root, /^root fawkes-platform: Progressing \/ OutOfSync, operation Running — sync Running: waiting for healthy state of external-secrets\.io\/ExternalSecret\/grafana-admin/);
            assert.match(root, /OutOfSync: Application grafana/);
            assert.match(root, /resourceHealthSource|app tree/);
        });

        it("a failed sync operation: the SyncError condition, which quotes the operation's message, said once", () => {
            const v = verdictOn(fixture("failed-sync"));
            assert.deepEqual(problemNames(v), ["backstage"]);
            const backstage = v.problems[0];
            assert.equal(backstage.operation, "Failed");
            assert.equal(backstage.messages[0].startsWith("SyncError: Failed last sync attempt to [2.8.2]: one or more objects failed to apply"), true, backstage.message);
            assert.match(backstage.message, /must be less than or equal to cpu limit of 1 \(retried 5 times\)/);
            assert.equal(backstage.message.split("one or more objects failed to apply").length, 2, "the reason appears once");
        });

        it("a rollout in progress: the running operations and the rollout message", () => {
            const v = verdictOn(fixture("progressing"));
            assert.deepEqual(problemNames(v), ["fawkes-platform", "grafana"]);
            assert.equal(
                reportLine(v, "grafana:"),
                "grafana: Progressing / Synced, operation Running — sync Running: waiting for healthy state of apps/Deployment/grafana; Deployment grafana: Waiting for rollout to finish: 0 of 1 updated replicas are available...",
            );
        });

        it("missing root; unexpected children the root owns; expected children it does not list", () => {
            assert.equal(verdictOn({ ...fixture("healthy"), items: [] }).report.split("\n")[0], "root fawkes-platform: missing (no such Application in the cluster)");
            // The program no longer lists jenkins; the root still owns it: checked, and named.
            const v = verdictOn(fixture("healthy"), seeded, ["backstage", "grafana"]);
            assert.equal(v.done, true);
            assert.deepEqual(v.unexpected, ["jenkins"]);
            assert.match(v.report, /the root also owns jenkins, not in the program's list of apps/);
            const degraded = verdictOn(fixture("degraded"), seeded, ["backstage", "jenkins"]);
            assert.match(reportLine(degraded, "grafana"), /^grafana \(not in the program's list of apps\): Degraded/);
            // An expected app the root does not know of is still awaited.
            assert.equal(reportLine(verdictOn(fixture("healthy"), seeded, [...expectedApps, "sonarqube"]), "sonarqube"), "sonarqube: missing (the root has not created it yet)");
        });

        it("Synced and Healthy is not enough: a status from the previous spec, or an operation requested", () => {
            const lagging = fixture("healthy");
            const jenkins = lagging.items.find((a) => a.metadata.name === "jenkins")! as { spec: { source: { targetRevision: string } } };
            jenkins.spec.source.targetRevision = "5.9.54";
            assert.equal(reportLine(verdictOn(lagging), "jenkins"), "jenkins: Healthy / Synced — its status describes an older spec (compared 5.9.53, spec wants 5.9.54)");
            const requested = fixture("healthy");
            (requested.items.find((a) => a.metadata.name === "grafana") as { operation?: unknown }).operation = { sync: { revision: "12.11.1" }, initiatedBy: { username: "admin" } };
            assert.match(reportLine(verdictOn(requested), "grafana"), /an operation is requested and not started yet/);
        });
    });

    describe("a fake API server on 127.0.0.1", function () {
        let dir: string;
        let server: FakeApiServer;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "sync-wait-"));
            makeCertificates(dir);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));
        beforeEach(async () => {
            server = await FakeApiServer.start(dir);
        });
        afterEach(() => server.close());

        const token = "fake-bearer-token-5c1d9e";
        const tokenUser = () => ({ token });

        describe("kube-api", () => {
            it("bearer token: lists and gets Applications; a 404 is a KubeApiError with the API's message", async () => {
                server.accept(token);
                const api = kubeApiFromKubeconfig(server.kubeconfig(tokenUser()));
                const items = await api.list<ArgoApplication>(applicationsPath);
                assert.deepEqual(items.map((a) => a.metadata?.name).sort(), ["backstage", "fawkes-platform", "grafana", "jenkins"]);
                const root = await api.get<ArgoApplication>(`${applicationsPath}/${rootName}`);
                assert.equal(root.status?.sync?.revision, seeded);
                assert.equal(server.requests[0].auth, `bearer:${token}`);
                await assert.rejects(api.get(`${applicationsPath}/nope`), (e) => isKubeApiError(e, 404) && /applications\.argoproj\.io "nope" not found/.test(e.message));
                // Without the token: 401, and no secret in what the error says.
                await assert.rejects(kubeApiFromKubeconfig(server.kubeconfig({ token: "wrong-token-0000" })).get(`${applicationsPath}/${rootName}`), (e) => isKubeApiError(e, 401) && !e.message.includes("wrong-token"));
            });

            it("TLS client certificate (openssl): accepted against the CA; a wrong CA, or no certificate, is not", async () => {
                const certUser = { "client-certificate-data": b64File(dir, "client.crt"), "client-key-data": b64File(dir, "client.key") };
                const root = await kubeApiFromKubeconfig(server.kubeconfig(certUser)).get<ArgoApplication>(`${applicationsPath}/${rootName}`);
                assert.equal(root.metadata?.name, rootName);
                assert.equal(server.requests.at(-1)?.auth, "cert:fawkes-admin");
                await assert.rejects(kubeApiFromKubeconfig(server.kubeconfig({})).get(`${applicationsPath}/${rootName}`), (e) => isKubeApiError(e, 401));
                const wrongCa = server.kubeconfig(certUser, { "certificate-authority-data": b64File(dir, "other-ca.crt") });
                await assert.rejects(kubeApiFromKubeconfig(wrongCa).get(`${applicationsPath}/${rootName}`), /certificate|self.signed|issuer/i);
                // insecure-skip-tls-verify: no CA needed.
                const insecure = server.kubeconfig(certUser, { "certificate-authority-data": undefined, "insecure-skip-tls-verify": true });
                assert.equal((await kubeApiFromKubeconfig(insecure).get<ArgoApplication>(`${applicationsPath}/${rootName}`)).metadata?.name, rootName);
            });

            it("exec plugin: its ExecCredential token reaches the server; args, env and KUBERNETES_EXEC_INFO passed; cached until expirationTimestamp", async () => {
                const plugin = execPlugin(dir);
                server.accept("exec-token-1", "exec-token-2", "exec-token-3");
                const api = kubeApiFromKubeconfig(server.kubeconfig(plugin.user({ PLUGIN_EXPIRES: "future" })));
                await api.get(`${applicationsPath}/${rootName}`);
                await api.list(applicationsPath);
                assert.deepEqual(server.requests.map((r) => r.auth), ["bearer:exec-token-1", "bearer:exec-token-1"]);
                const runs = plugin.runs();
                assert.equal(runs.length, 1, "one run while the token is valid");
                assert.deepEqual(runs[0].args, ["--cluster", "fawkes"]);
                assert.equal(runs[0].region, "eu-west-1", "the exec env reaches the plugin");
                assert.deepEqual(runs[0].execInfo, {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    kind: "ExecCredential",
                    spec: { interactive: false, cluster: { server: server.url, "certificate-authority-data": b64File(dir, "ca.crt") } },
                });
                // An expired credential is fetched again.
                const expiring = kubeApiFromKubeconfig(server.kubeconfig(plugin.user({ PLUGIN_EXPIRES: "past" })));
                await expiring.get(`${applicationsPath}/${rootName}`);
                await expiring.get(`${applicationsPath}/${rootName}`);
                assert.equal(plugin.runs().length, 3);
            });

            it("exec plugin: a 401 gets one fresh credential; a failing plugin is explained, its output never shown", async () => {
                const plugin = execPlugin(dir);
                server.accept("exec-token-2");
                const api = kubeApiFromKubeconfig(server.kubeconfig(plugin.user({ PLUGIN_EXPIRES: "future" })));
                await api.get(`${applicationsPath}/${rootName}`);
                assert.deepEqual(server.requests.map((r) => r.auth), ["bearer:exec-token-1", "bearer:exec-token-2"]);
                const failing = kubeApiFromKubeconfig(server.kubeconfig(plugin.user({ PLUGIN_FAIL: "1" })));
                await assert.rejects(failing.get(`${applicationsPath}/${rootName}`), (e: Error) => {
                    assert.match(e.message, /exec plugin .* failed: exit 3: the SSO session has expired; run aws sso login/);
                    assert.doesNotMatch(e.message, /exec-token/);
                    return true;
                });
                // A plugin may hand out a client certificate instead of a token.
                await kubeApiFromKubeconfig(server.kubeconfig(plugin.user({ PLUGIN_CERT_DIR: dir }))).get(`${applicationsPath}/${rootName}`);
                assert.equal(server.requests.at(-1)?.auth, "cert:fawkes-admin");
                const absent = server.kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: path.join(dir, "no-such-plugin"), installHint: "Install the AWS CLI" } });
                await assert.rejects(kubeApiFromKubeconfig(absent).get(applicationsPath), /exec plugin .*no-such-plugin was not found: Install the AWS CLI$/);
            });

            it("kubeconfig forms: a named context, a CA file, a tokenFile; gaps are named", async () => {
                server.accept(token);
                fs.writeFileSync(path.join(dir, "token"), `${token}\n`);
                const config = {
                    apiVersion: "v1",
                    kind: "Config",
                    clusters: [{ name: "other", cluster: { server: "https://127.0.0.1:1" } }, { name: "fake", cluster: { server: server.url, "certificate-authority": path.join(dir, "ca.crt") } }],
                    contexts: [{ name: "elsewhere", context: { cluster: "other", user: "tester" } }, { name: "here", context: { cluster: "fake", user: "tester" } }],
                    "current-context": "elsewhere",
                    users: [{ name: "tester", user: { tokenFile: path.join(dir, "token") } }],
                };
                const api = kubeApiFromKubeconfig(stringify(config), { context: "here" });
                assert.equal((await api.get<ArgoApplication>(`${applicationsPath}/${rootName}`)).metadata?.name, rootName);
                assert.equal(server.requests.at(-1)?.auth, `bearer:${token}`);
                assert.throws(() => kubeApiFromKubeconfig(stringify(config), { context: "nowhere" }), /no context nowhere/);
                assert.throws(() => kubeApiFromKubeconfig(stringify({ ...config, "current-context": undefined })), /no current-context/);
            });

            it("list follows continue tokens; a merge patch goes as application/merge-patch+json", async () => {
                server.accept(token);
                server.pageSize = 3;
                const api = kubeApiFromKubeconfig(server.kubeconfig(tokenUser()));
                assert.equal((await api.list(applicationsPath)).length, 4);
                assert.deepEqual(server.requests.map((r) => new URL(r.url, "http://x").searchParams.get("continue")), [null, "3"]);
                const patched = await api.mergePatch<ArgoApplication>(`${applicationsPath}/${rootName}`, { metadata: { annotations: { a: "b" } } });
                assert.equal(patched.metadata?.annotations?.a, "b");
                const patch = server.requests.at(-1)!;
                assert.deepEqual([patch.method, patch.contentType], ["PATCH", "application/merge-patch+json"]);
            });
        });

        /** Inputs of a wait against the fake server: the seeded revision, the expected apps, short intervals. */
        const waitInputs = (over: Partial<SyncWaitInputs> = {}): SyncWaitInputs => ({
            kubeconfig: server.kubeconfig(tokenUser()),
            namespace: "argocd",
            rootApp: rootName,
            revision: seeded,
            apps: expectedApps,
            timeoutSeconds: 5,
            pollSeconds: 0.05,
            ...over,
        });

        describe("the wait loop", () => {

            it("resolves once the Applications turn Synced and Healthy at the revision", async () => {
                server.accept(token);
                server.serve((n) => (n < 2 ? "missing-child" : n < 4 ? "progressing" : "healthy"));
                const outs = await waitForArgoCdSync(waitInputs());
                assert.equal(server.lists, 5);
                assert.deepEqual(outs, {
                    namespace: "argocd",
                    rootApp: rootName,
                    revision: seeded,
                    syncedRevision: seeded,
                    apps: ["backstage", "grafana", "jenkins"],
                    children: ["backstage", "grafana", "jenkins"],
                    timeoutSeconds: 5,
                    waitedSeconds: outs.waitedSeconds,
                    refreshes: 0,
                });
                assert.ok(outs.waitedSeconds >= 0.2 && outs.waitedSeconds < 2, String(outs.waitedSeconds));
                assert.ok(!JSON.stringify(outs).includes(token));
            });

            it("rejects after timeoutSeconds with the report when a child stays degraded", async () => {
                server.accept(token);
                server.serve(() => "degraded");
                const started = Date.now();
                await assert.rejects(waitForArgoCdSync(waitInputs({ timeoutSeconds: 0.4 })), (e: Error) => {
                    const took = Date.now() - started;
                    assert.ok(took >= 400 && took < 1500, `took ${took} ms`);
                    assert.match(e.message, /^Argo CD had not synced commit 3f9c2a7d1e5b8c4a6f0d2e9b7a1c5d3e8f4b6a20 after 0\.4 s \(timeoutSeconds: 0\.4\)\.\nNot done yet:\n/);
                    assert.match(e.message, /\n {2}grafana: Degraded \/ Synced — Deployment grafana: Deployment "grafana" exceeded its progress deadline\n/);
                    assert.match(e.message, /\n {2}root fawkes-platform: Degraded \/ Synced/);
                    assert.match(e.message, /kubectl -n argocd get applications/);
                    assert.ok(!e.message.includes(token));
                    return true;
                });
                assert.ok(server.lists >= 5, `polled ${server.lists} times`);
            });

            it("asks Argo CD to refresh a root stuck at an old revision, then waits it out", async () => {
                server.accept(token);
                let refreshed = false;
                server.onPatch = () => (refreshed = true);
                server.serve(() => (refreshed ? "healthy" : "stale-root"));
                const outs = await waitForArgoCdSync(waitInputs({ refreshAfterSeconds: 0.15 }));
                assert.equal(outs.refreshes, 1);
                const patches = server.requests.filter((r) => r.method === "PATCH");
                assert.equal(patches.length, 1);
                assert.equal(patches[0].url, `${applicationsPath}/${rootName}`);
                assert.equal(patches[0].contentType, "application/merge-patch+json");
                assert.deepEqual(patches[0].body, { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } });
                assert.deepEqual(refreshAnnotation, { key: "argocd.argoproj.io/refresh", value: "normal" });
                // Not before the root had been stale for refreshAfterSeconds.
                const firstList = server.requests.find((r) => r.method === "GET")!;
                assert.ok(patches[0].at - firstList.at >= 150, `${patches[0].at - firstList.at} ms`);
            });

            it("fails at once when the credentials may not list Applications; keeps trying through other errors", async () => {
                server.accept(token);
                server.forbidden = true;
                const started = Date.now();
                await assert.rejects(waitForArgoCdSync(waitInputs({ timeoutSeconds: 30 })), /may not list Applications in argocd: .*403 Forbidden/);
                assert.ok(Date.now() - started < 1000);
                server.forbidden = false;
                server.serve((n) => (n < 2 ? "broken" : "healthy"));
                assert.equal((await waitForArgoCdSync(waitInputs())).syncedRevision, seeded);
                server.serve(() => "broken");
                await assert.rejects(waitForArgoCdSync(waitInputs({ timeoutSeconds: 0.2 })), /The Applications could not be read: GET .*: 503/);
            });
        });

        describe("the serialized provider in a fresh node process", function () {
            let providerText: string;
            let registered: Record<string, unknown>;
            const planted = "planted-kubeconfig-token-77a1";

            before(async () => {
                registered = await captureDynamicResource(() => {
                    new ArgoCdSyncWait("platform-sync", {
                        kubeconfig: pulumi.output(kubeconfigText("https://127.0.0.1:1", { token: planted })),
                        namespace: "argocd",
                        rootApp: rootName,
                        revision: pulumi.output(seeded),
                        apps: expectedApps,
                        timeoutSeconds: 600,
                    });
                });
                providerText = registered.__provider as string;
            });

            it("registers the kubeconfig as a secret input; the provider text holds no secret and needs no Pulumi SDK", () => {
                const kubeconfig = registered.kubeconfig as Record<string, unknown>;
                assert.equal(kubeconfig["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "kubeconfig is a secret");
                assert.deepEqual([registered.pollSeconds, registered.refreshAfterSeconds, registered.timeoutSeconds], [5, 20, 600]);
                assert.ok(!providerText.includes(planted));
                const required = new Set([...providerText.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
                assert.deepEqual([...required].sort(), ["node:child_process", "node:fs", "node:http", "node:https", "yaml"]);
            });

            it("create waits against the fake server, and its outs carry no kubeconfig; diff and a timeout behave", async () => {
                server.accept(token);
                server.serve((n) => (n < 2 ? "progressing" : "healthy"));
                const create = providerInputs({});
                const [created, diffSame, diffNew] = await inFreshNode(dir, providerText, [
                    ["create", [create]],
                    ["diff", ["argocd/fawkes-platform", "$created", create]],
                    ["diff", ["argocd/fawkes-platform", "$created", { ...create, revision: previous }]],
                ]);
                assert.ok(created.ok, created.ok ? "" : created.error);
                const { id, outs } = created.value as { id: string; outs: SyncWaitOutputs };
                assert.equal(id, "argocd/fawkes-platform");
                assert.equal(outs.syncedRevision, seeded);
                assert.deepEqual(outs.children, ["backstage", "grafana", "jenkins"]);
                assert.ok(!("kubeconfig" in outs));
                assert.ok(!JSON.stringify(outs).includes(token));
                assert.ok(server.lists >= 3);
                assert.deepEqual([diffSame, diffNew].map((d) => (d.ok ? d.value : d.error)), [{ changes: false }, { changes: true }]);

                server.serve(() => "failed-sync");
                const [timedOut] = await inFreshNode(dir, providerText, [["update", ["argocd/fawkes-platform", outs, providerInputs({ timeoutSeconds: 0.3 })]]]);
                assert.equal(timedOut.ok, false);
                assert.match(timedOut.ok ? "" : timedOut.error, /^Argo CD had not synced commit 3f9c2a7d\S+ after 0\.3 s[\s\S]*\n {2}backstage: Healthy \/ OutOfSync — SyncError: Failed last sync attempt to \[2\.8\.2\]/);
                assert.ok(!(timedOut.ok ? "" : timedOut.error).includes(token));
            });

            /** The wait's inputs as the host hands them to the provider, with its serialized text. */
            const providerInputs = (over: Partial<SyncWaitInputs>): SyncWaitInputs & Record<string, unknown> => ({ ...waitInputs({ refreshAfterSeconds: 20, ...over }), __provider: providerText });
        });
    });

    it("diff: a new revision, app list, root, namespace or time limit waits again; poll interval and kubeconfig do not", () => {
        const olds: SyncWaitOutputs = {
            namespace: "argocd",
            rootApp: rootName,
            revision: seeded,
            syncedRevision: seeded,
            apps: ["backstage", "grafana", "jenkins"],
            children: ["backstage", "grafana", "jenkins"],
            timeoutSeconds: 900,
            waitedSeconds: 42,
            refreshes: 0,
        };
        const news: SyncWaitInputs = { kubeconfig: "new", namespace: "argocd", rootApp: rootName, revision: seeded, apps: ["jenkins", "grafana", "backstage"], timeoutSeconds: 900, pollSeconds: 2 };
        assert.equal(syncWaitChanged(olds, news), false);
        for (const change of [{ revision: previous }, { apps: ["backstage"] }, { rootApp: "other" }, { namespace: "gitops" }, { timeoutSeconds: 600 }, { revision: undefined }]) {
            assert.equal(syncWaitChanged(olds, { ...news, ...change }), true, JSON.stringify(change));
        }
    });
});

// ---------------------------------------------------------------------------------------
// The fake API server: answers the Applications paths from a fixture, checks a bearer token
// or a client certificate signed by the test CA, records every request.

interface RecordedRequest {
    readonly method: string;
    readonly url: string;
    readonly auth: string;
    readonly contentType?: string;
    readonly body?: unknown;
    readonly at: number;
}

class FakeApiServer {
    readonly requests: RecordedRequest[] = [];
    lists = 0;
    pageSize?: number;
    forbidden = false;
    onPatch?: () => void;
    private tokens = new Set<string>();
    private scenario: (listIndex: number) => Fixture | "broken" = () => "healthy";
    private patched = new Map<string, Record<string, string>>();

    private constructor(
        private readonly server: https.Server,
        private readonly dir: string,
    ) {}

    static async start(dir: string): Promise<FakeApiServer> {
        const read = (f: string) => fs.readFileSync(path.join(dir, f));
        // requestCert without rejecting: token clients connect too; the handler checks either.
        const server = https.createServer({ key: read("server.key"), cert: read("server.crt"), ca: read("ca.crt"), requestCert: true, rejectUnauthorized: false });
        const fake = new FakeApiServer(server, dir);
        server.on("request", (req, res) => fake.handle(req, res));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return fake;
    }

    get url(): string {
        return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    accept(...tokens: string[]): void {
        for (const t of tokens) this.tokens.add(t);
    }

    /** Which fixture the n-th list (from 0) answers with; "broken" answers 503. */
    serve(scenario: (listIndex: number) => Fixture | "broken"): void {
        this.scenario = scenario;
        this.lists = 0;
    }

    kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
        return kubeconfigText(this.url, user, { "certificate-authority-data": b64File(this.dir, "ca.crt"), ...cluster });
    }

    close(): void {
        this.server.closeAllConnections();
        this.server.close();
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const socket = req.socket as TLSSocket;
            const peer = socket.getPeerCertificate();
            const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
            const commonName = peer?.subject?.CN;
            const auth = bearer ? `bearer:${bearer}` : socket.authorized && typeof commonName === "string" ? `cert:${commonName}` : "none";
            const text = Buffer.concat(chunks).toString("utf8");
            this.requests.push({ method: req.method!, url: req.url!, auth, contentType: req.headers["content-type"], body: text ? JSON.parse(text) : undefined, at: Date.now() });
            const send = (code: number, body: unknown) => {
                res.writeHead(code, { "Content-Type": "application/json" });
                res.end(JSON.stringify(body));
            };
            const status = (code: number, reason: string, message: string) => send(code, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
            const authorized = bearer ? this.tokens.has(bearer) : auth === "cert:fawkes-admin";
            if (!authorized) return status(401, "Unauthorized", "Unauthorized");
            const url = new URL(req.url!, this.url);
            if (this.forbidden) {
                return status(403, "Forbidden", 'applications.argoproj.io is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "applications" in API group "argoproj.io" in the namespace "argocd"');
            }
            const current = this.current(url.pathname === applicationsPath && req.method === "GET");
            if (current === "broken") return status(503, "ServiceUnavailable", "the server is currently unable to handle the request");
            if (url.pathname === applicationsPath && req.method === "GET") {
                const offset = Number(url.searchParams.get("continue") ?? 0);
                const end = this.pageSize ? offset + this.pageSize : current.items.length;
                return send(200, { ...current, metadata: { ...current.metadata, ...(end < current.items.length ? { continue: String(end) } : {}) }, items: current.items.slice(offset, end) });
            }
            const name = url.pathname.startsWith(`${applicationsPath}/`) ? decodeURIComponent(url.pathname.slice(applicationsPath.length + 1)) : undefined;
            const app = current.items.find((a) => a.metadata.name === name);
            if (!name || !app) return status(404, "NotFound", `applications.argoproj.io "${name}" not found`);
            if (req.method === "GET") return send(200, app);
            if (req.method === "PATCH") {
                if (req.headers["content-type"] !== "application/merge-patch+json") return status(415, "UnsupportedMediaType", "unsupported patch type");
                const annotations = (JSON.parse(text) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
                this.patched.set(name, { ...this.patched.get(name), ...annotations });
                this.onPatch?.();
                return send(200, { ...app, metadata: { ...app.metadata, annotations: { ...app.metadata.annotations, ...this.patched.get(name) } } });
            }
            return status(405, "MethodNotAllowed", "method not allowed");
        });
    }

    private current(isList: boolean): ApplicationList | "broken" {
        const name = this.scenario(Math.max(0, isList ? this.lists++ : this.lists - 1));
        return name === "broken" ? name : fixture(name);
    }
}

function kubeconfigText(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "fake", cluster: { server, ...cluster } }],
        contexts: [{ name: "fake", context: { cluster: "fake", user: "tester" } }],
        "current-context": "fake",
        users: [{ name: "tester", user }],
    });
}

const b64File = (dir: string, file: string) => fs.readFileSync(path.join(dir, file)).toString("base64");

/** A CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA. */
function makeCertificates(dir: string): void {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const key = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
    for (const ca of ["ca", "other-ca"]) {
        key(ca);
        openssl("req", "-x509", "-new", "-key", `${ca}.key`, "-subj", `/CN=${ca}`, "-days", "2", "-out", `${ca}.crt`);
    }
    fs.writeFileSync(path.join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const [name, subject] of [["server", "/CN=kube-apiserver"], ["client", "/O=system:masters/CN=fawkes-admin"]]) {
        key(name);
        openssl("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
        openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    }
}

/**
 * A stand-in for `aws eks get-token`: prints an ExecCredential whose token counts its runs
 * (exec-token-1, -2, …), expiring in the past or the future as PLUGIN_EXPIRES says, and
 * logs its args, env and KUBERNETES_EXEC_INFO. PLUGIN_FAIL makes it fail like an expired SSO.
 */
function execPlugin(dir: string) {
    const script = path.join(dir, "get-token.js");
    const log = path.join(dir, `plugin-runs-${Date.now()}-${Math.random().toString(16).slice(2)}.jsonl`);
    fs.writeFileSync(
        script,
        `const fs = require("node:fs");
const log = process.env.PLUGIN_LOG;
if (process.env.PLUGIN_FAIL) { process.stdout.write('{"kind":"ExecCredential","status":{"token":"exec-token-leak"}}'); process.stderr.write("the SSO session has expired; run aws sso login\\n"); process.exit(3); }
if (process.env.PLUGIN_CERT_DIR) {
  const read = (f) => fs.readFileSync(require("node:path").join(process.env.PLUGIN_CERT_DIR, f), "utf8");
  process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { clientCertificateData: read("client.crt"), clientKeyData: read("client.key") } }));
  process.exit(0);
}
const runs = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\\n").filter(Boolean).length : 0;
fs.appendFileSync(log, JSON.stringify({ args: process.argv.slice(2), region: process.env.AWS_REGION, execInfo: JSON.parse(process.env.KUBERNETES_EXEC_INFO) }) + "\\n");
const expires = new Date(Date.now() + (process.env.PLUGIN_EXPIRES === "past" ? -60000 : 3600000)).toISOString();
process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token: "exec-token-" + (runs + 1), expirationTimestamp: expires } }));
`,
    );
    return {
        user: (env: Record<string, string>) => ({
            exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: process.execPath,
                args: [script, "--cluster", "fawkes"],
                env: Object.entries({ AWS_REGION: "eu-west-1", PLUGIN_LOG: log, ...env }).map(([name, value]) => ({ name, value })),
                provideClusterInfo: true,
                interactiveMode: "Never",
            },
        }),
        runs: (): { args: string[]; region: string; execInfo: unknown }[] =>
            fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { args: string[]; region: string; execInfo: unknown }) : [],
    };
}

// Loads the provider text as the dynamic-provider host does (requireFromString(text).handler())
// in a fresh node, and runs the calls in order; "$created" stands for the first call's outs.
// The calls (kubeconfig included) go on stdin, never on the command line.
const loader = `
const [file, rfs] = process.argv.slice(1);
const provider = require(rfs)(require("node:fs").readFileSync(file, "utf8")).handler();
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", async () => {
  const results = [];
  let created;
  for (const [method, args] of JSON.parse(input)) {
    try {
      const value = await provider[method](...args.map((a) => (a === "$created" ? created : a)));
      if (method === "create") created = value.outs;
      results.push({ ok: true, value });
    } catch (e) { results.push({ ok: false, error: String(e && e.message) }); }
  }
  process.stdout.write(JSON.stringify(results));
});
`;
type CallResult = { ok: true; value: unknown } | { ok: false; error: string };

function inFreshNode(dir: string, providerText: string, calls: [string, unknown[]][]): Promise<CallResult[]> {
    const file = path.join(dir, "provider.js");
    fs.writeFileSync(file, providerText);
    const requireFromString = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
    // Async: the fake server answers from this process while the child runs.
    return new Promise((resolve, reject) => {
        const child = execFile(
            process.execPath,
            ["-e", loader, file, requireFromString],
            { cwd: path.resolve(__dirname, ".."), env: { PATH: process.env.PATH ?? "" }, timeout: 20_000, encoding: "utf8" },
            (error, stdout, stderr) => {
                if (error) return reject(new Error(`${error.message}\n${stderr}`));
                resolve(JSON.parse(stdout) as CallResult[]);
            },
        );
        child.stdin!.end(JSON.stringify(calls));
    });
}
