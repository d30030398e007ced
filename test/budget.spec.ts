import * as assert from "node:assert/strict";
import { appFootprint, namespaceQuota, podFootprint, poolDemand, quotaHard } from "../components/budget";
import { type CatalogApp, coreAddons, gitopsApps } from "../components/catalog";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "../components/quantity";

const Mi = 2 ** 20;

/** A small app whose footprint is worked out by hand below. */
const sample: CatalogApp = {
    name: "sample",
    chart: { repo: "https://charts.example.com", name: "sample", version: "1.0.0" },
    namespace: "sample",
    pool: "apps",
    policyExceptions: [],
    workloads: [
        {
            name: "web",
            kind: "Deployment",
            replicas: 2,
            containers: [
                { name: "web", resourcesPath: "resources", requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                { name: "init", resourcesPath: "init.resources", requests: { cpu: "200m", memory: "64Mi" }, limits: { cpu: "300m", memory: "64Mi" }, init: true },
            ],
        },
        {
            name: "migrate",
            kind: "Job",
            replicas: 1,
            containers: [{ name: "migrate", resourcesPath: "job.resources", requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } }],
        },
        {
            name: "agent",
            kind: "DaemonSet",
            replicas: 1,
            containers: [{ name: "agent", resourcesPath: "agent.resources", requests: { cpu: "50m", memory: "50Mi" }, limits: { cpu: "100m", memory: "100Mi" } }],
        },
    ],
};

describe("budget arithmetic", () => {
    it("parses and formats quantities", () => {
        assert.deepEqual(["250m", "1", "1.5", "0.1"].map(parseCpu), [250, 1000, 1500, 100]);
        assert.deepEqual(["128Mi", "1Gi", "2048M", "512"].map(parseMemory), [128 * Mi, 2 ** 30, 2048e6, 512]);
        assert.throws(() => parseCpu("1 core"));
        assert.throws(() => parseMemory("1GB"));
        assert.equal(formatCpu(760), "760m");
        assert.equal(formatMemory(566 * Mi + 1), "567Mi", "rounded up");
    });

    it("sizes a pod by the larger of its app containers' sum and its largest init container", () => {
        const pod = podFootprint(sample.workloads[0]);
        assert.deepEqual(pod.requests, { cpu: 200, memory: 128 * Mi });
        assert.deepEqual(pod.limits, { cpu: 500, memory: 256 * Mi });
    });

    it("derives a namespace quota: every pod, jobs and one DaemonSet pod per node included, plus one surge pod", () => {
        // requests: 2 × (200m, 128Mi) + (10m, 32Mi) + 3 × (50m, 50Mi) + surge (200m, 128Mi)
        // limits:   2 × (500m, 256Mi) + (100m, 64Mi) + 3 × (100m, 100Mi) + surge (500m, 256Mi)
        assert.deepEqual(quotaHard(namespaceQuota(sample, { pool: 3, cluster: 5 })), {
            "requests.cpu": "760m",
            "requests.memory": "566Mi",
            "limits.cpu": "1900m",
            "limits.memory": "1132Mi",
            pods: "7",
        });
    });

    it("leaves one default-sized container of headroom, not a surge pod, when nothing surges", () => {
        // A StatefulSet replaces its pods without surging: the headroom is the LimitRange default.
        const database = { ...sample.workloads[0], name: "db", kind: "StatefulSet" as const, replicas: 1 };
        // requests: (200m, 128Mi) + (50m, 64Mi); limits: (500m, 256Mi) + (250m, 256Mi)
        assert.deepEqual(quotaHard(namespaceQuota({ ...sample, workloads: [database] }, { pool: 1, cluster: 4 })), {
            "requests.cpu": "250m",
            "requests.memory": "192Mi",
            "limits.cpu": "750m",
            "limits.memory": "512Mi",
            pods: "2",
        });
    });

    it("runs a node agent on every node of the cluster, not only its pool's", () => {
        const agent = { ...sample.workloads[2], everyNode: true };
        assert.equal(quotaHard(namespaceQuota({ ...sample, workloads: [agent] }, { pool: 3, cluster: 5 })).pods, "6");
    });

    it("counts only long-running pods in the steady-state footprint and the pool demand", () => {
        assert.deepEqual(appFootprint(sample, { pool: 3, cluster: 5 }).requests, { cpu: 550, memory: 406 * Mi });
        const pools = [
            { name: "apps", count: 3 },
            { name: "ci", count: 1 },
            { name: "platform", count: 1 },
        ];
        const demand = poolDemand([sample, { ...sample, name: "other", pool: "ci" }], pools);
        assert.deepEqual(demand.get("apps")!.requests, { cpu: 550, memory: 406 * Mi });
        assert.deepEqual(demand.get("ci")!.requests, { cpu: 450, memory: 306 * Mi });
        assert.equal(demand.get("platform"), undefined);
    });

    it("places a node agent's pods on every pool, and a workload on its own pool where it has one", () => {
        const pools = [
            { name: "apps", count: 2 },
            { name: "ci", count: 1 },
        ];
        const agent = { ...sample.workloads[2], everyNode: true };
        const web = { ...sample.workloads[0], pool: "ci" };
        const demand = poolDemand([{ ...sample, workloads: [agent, web] }], pools);
        assert.deepEqual(demand.get("apps")!.requests, { cpu: 100, memory: 100 * Mi });
        assert.deepEqual(demand.get("ci")!.requests, { cpu: 50 + 400, memory: 50 * Mi + 256 * Mi });
    });
});

describe("catalog", () => {
    const contexts = [
        { provider: "kind", ha: false, ingressController: "traefik" },
        { provider: "eks", ha: true, ingressController: "traefik" },
        { provider: "aks", ha: true, ingressController: "ingress-nginx" },
    ] as const;

    it("pins every chart exactly, from an https repository", () => {
        for (const ctx of contexts) {
            for (const app of coreAddons(ctx)) {
                assert.match(app.chart.version, /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, app.name);
                assert.match(app.chart.repo, /^https:\/\//, app.name);
            }
        }
    });

    it("gives every container requests and limits, with requests never above limits", () => {
        for (const ctx of contexts) {
            for (const app of [...coreAddons(ctx), ...gitopsApps()]) {
                for (const w of app.workloads) {
                    assert.ok(w.replicas >= 1 && w.containers.length >= 1, `${app.name}/${w.name}`);
                    for (const c of w.containers) {
                        assert.ok(parseCpu(c.requests.cpu) <= parseCpu(c.limits.cpu), `${app.name}/${c.name} cpu`);
                        assert.ok(parseMemory(c.requests.memory) <= parseMemory(c.limits.memory), `${app.name}/${c.name} memory`);
                    }
                }
                // Containers that share a values path (e.g. a sidecar and its init twin) share its resources.
                const byPath = new Map<string, string>();
                for (const c of app.workloads.flatMap((w) => w.containers).filter((c) => c.resourcesPath !== undefined)) {
                    const resources = JSON.stringify([c.requests, c.limits]);
                    assert.equal(byPath.get(c.resourcesPath!) ?? resources, resources, `${app.name}: ${c.resourcesPath}`);
                    byPath.set(c.resourcesPath!, resources);
                }
            }
        }
    });

    it("puts one namespace per app and the ingress controller on kind's control plane", () => {
        for (const ctx of contexts) {
            const apps = coreAddons(ctx);
            assert.equal(new Set(apps.map((a) => a.namespace)).size, apps.length);
            assert.equal(apps[0].pool, ctx.provider === "kind" ? "control-plane" : "platform");
        }
    });
});
