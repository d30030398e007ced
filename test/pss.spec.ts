// The Pod Security Standards as the admission baseline: Kyverno's baseline policies and the API
// server's Pod Security Admission (the namespaces' labels, evaluated offline by
// scripts/render/psa.ts) refuse the same pods; the namespaces carry the levels the catalog
// decides (node agents in privileged namespaces of their own, node-exporter's apart from
// monitoring); and the full list of exceptions is pinned here, so none widens unnoticed.

import * as assert from "node:assert/strict";
import { podControls, type PodSecurityLevel } from "../components/addons/pod-security";
import { policyNames, validatingPolicies, workloadCondition } from "../components/addons/kyverno-policies";
import { ofType, type RunResult, runStackFileOk } from "../scripts/lib/harness";
import { admit, type KubeObject } from "../scripts/render/admission";
import { namespaceLevel, podSecurityAdmission, podSecurityViolations } from "../scripts/render/psa";

const partOf = { "app.kubernetes.io/part-of": "fawkes" };
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { ...partOf, ...labels } } });
const psaLabels = (enforce: PodSecurityLevel, warn: PodSecurityLevel) => ({ "pod-security.kubernetes.io/enforce": enforce, "pod-security.kubernetes.io/warn": warn, "pod-security.kubernetes.io/audit": warn });

type Container = Record<string, unknown> & { name: string; securityContext?: Record<string, unknown> };
type Spec = Record<string, unknown> & { containers: Container[]; initContainers: Container[]; securityContext: Record<string, unknown> };

/** A pod that passes restricted, and so every level. */
function restrictedPod(change: (spec: Spec, pod: KubeObject) => void = () => undefined): KubeObject {
    const resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
    const hardened = () => ({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const spec: Spec = {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
        initContainers: [{ name: "init", image: "busybox:1.36.1", resources, securityContext: hardened() }],
        containers: [{ name: "app", image: "nginx:1.27.0", resources, securityContext: hardened() }],
        volumes: [{ name: "tmp", emptyDir: {} }],
    };
    const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "app", namespace: "web", labels: { "app.kubernetes.io/name": "app" } }, spec };
    change(spec, pod);
    return pod;
}

/** One breaking change per control, each in an init container where the control reads containers. */
const breaks: Record<string, (s: Spec, pod: KubeObject) => void> = {
    "disallow-host-process": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, windowsOptions: { hostProcess: true } }),
    "disallow-host-namespaces": (s) => (s.hostPID = true),
    "disallow-privileged-containers": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, privileged: true }),
    "disallow-capabilities": (s) => (s.initContainers[0].securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
    "disallow-host-path": (s) => ((s.volumes as unknown[]).push({ name: "host", hostPath: { path: "/var/run/docker.sock" } })),
    "disallow-host-ports": (s) => (s.initContainers[0].ports = [{ containerPort: 22, hostPort: 22 }]),
    "restrict-apparmor-profiles": (_s, pod) => (pod.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }),
    "restrict-selinux": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, seLinuxOptions: { type: "spc_t" } }),
    "restrict-proc-mount": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, procMount: "Unmasked" }),
    "restrict-seccomp": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, seccompProfile: { type: "Unconfined" } }),
    "restrict-sysctls": (s) => (s.securityContext.sysctls = [{ name: "kernel.core_pattern", value: "|/tmp/x" }]),
    "disallow-probe-hosts": (s) => (s.containers[0].readinessProbe = { tcpSocket: { host: "kubernetes.default", port: 443 } }),
    "restricted-volume-types": (s) => ((s.volumes as unknown[]).push({ name: "nfs", nfs: { server: "nfs.example", path: "/" } })),
    "restricted-privilege-escalation": (s) => delete s.initContainers[0].securityContext!.allowPrivilegeEscalation,
    "restricted-capabilities": (s) => (s.initContainers[0].securityContext = { allowPrivilegeEscalation: false }),
    "restricted-run-as-non-root": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, runAsNonRoot: false }),
    "restricted-run-as-user": (s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, runAsUser: 0 }),
    "restricted-seccomp": (s) => delete s.securityContext.seccompProfile,
    "restricted-proc-mount": (s) => Object.assign(s, { hostUsers: false, initContainers: [{ ...s.initContainers[0], securityContext: { ...s.initContainers[0].securityContext, procMount: "Unmasked" } }] }),
};

describe("Pod Security Standards: the admission baseline", function () {
    this.timeout(30_000);

    describe("the controls (PSA 1.35's checks), as Kyverno policies and as the API server's levels", () => {
        const policies = validatingPolicies();

        it("every baseline control is a Kyverno policy pair; every control has a breaking case here", () => {
            for (const c of podControls.filter((x) => x.level === "baseline")) {
                assert.ok((policyNames as string[]).includes(c.name), c.name);
            }
            assert.deepEqual(podControls.map((c) => c.name).sort(), Object.keys(breaks).sort());
        });

        it("a restricted pod passes every level, in Kyverno and in PSA", () => {
            assert.deepEqual(podSecurityViolations(restrictedPod(), "restricted"), []);
            assert.deepEqual(admit(policies, { object: restrictedPod(), namespace: ns("web") }).verdicts, []);
        });

        for (const control of podControls) {
            it(`${control.name} (${control.level}): refused at ${control.level} and above, admitted below; Kyverno agrees for baseline`, () => {
                const pod = restrictedPod(breaks[control.name]);
                assert.deepEqual(podSecurityViolations(pod, control.level).map((v) => v.control), [control.name]);
                assert.deepEqual(podSecurityViolations(pod, "privileged"), []);
                const kyverno = admit(policies, { object: pod, namespace: ns("web") });
                if (control.level === "baseline") {
                    assert.deepEqual(podSecurityViolations(pod, "restricted").map((v) => v.control).filter((n) => n === control.name), [control.name]);
                    assert.deepEqual(kyverno.verdicts.filter((v) => v.denies).map((v) => v.policy), [control.name]);
                } else {
                    assert.deepEqual(podSecurityViolations(pod, "baseline"), []);
                    assert.deepEqual(kyverno.verdicts.filter((v) => v.denies).map((v) => v.policy).filter((p) => p !== "require-run-as-non-root"), []);
                }
            });
        }

        it("a root init container passes neither require-run-as-non-root nor restricted, even under a non-root pod", () => {
            const rootInit = restrictedPod((s) => (s.initContainers[0].securityContext = { ...s.initContainers[0].securityContext, runAsNonRoot: false, runAsUser: 0 }));
            assert.ok(admit(policies, { object: rootInit, namespace: ns("web") }).verdicts.some((v) => v.policy === "require-run-as-non-root" && v.denies));
            assert.deepEqual(podSecurityViolations(rootInit, "restricted").map((v) => v.control), ["restricted-run-as-non-root", "restricted-run-as-user"]);
        });

        it("reads the namespace's labels: unlabelled is privileged; enforce refuses, warn only warns", () => {
            const hostPath = restrictedPod(breaks["disallow-host-path"]);
            assert.equal(namespaceLevel(ns("x"), "enforce"), "privileged");
            assert.deepEqual(podSecurityAdmission(hostPath, ns("x")).refused, []);
            const baseline = podSecurityAdmission(hostPath, ns("x", psaLabels("baseline", "restricted")));
            assert.deepEqual(baseline.refused.map((v) => v.control), ["disallow-host-path"]);
            const agent = podSecurityAdmission(hostPath, ns("x", psaLabels("privileged", "baseline")));
            assert.deepEqual([agent.refused, agent.warnings.map((v) => v.control)], [[], ["disallow-host-path"]]);
        });
    });

    describe("the stacks", () => {
        const runs = new Map<string, RunResult>();
        before(async () => {
            for (const stack of ["dev", "prod", "prod-aks"]) {
                runs.set(stack, await runStackFileOk(stack));
            }
        });

        /** Every exception the program registers, as (policy, namespace, workloads, reason). */
        const exceptionTable = (run: RunResult) =>
            ofType(run, "kubernetes:policies.kyverno.io/v1:PolicyException").map((r) => {
                const e = r.inputs as KubeObject & { spec: { policyRefs: { name: string }[]; matchConditions: { name: string; expression: string }[] } };
                const [nsCondition, workloadsCondition] = e.spec.matchConditions;
                const workloads = [...workloadsCondition.expression.slice(0, workloadsCondition.expression.indexOf("].exists(")).matchAll(/'([^']+)'/g)].map((m) => m[1]);
                // The condition is exactly the one these workloads make: no extra names, no wider pattern.
                assert.equal(workloadsCondition.expression, workloadCondition(workloads));
                assert.deepEqual(e.spec.policyRefs.map((p) => p.name), [e.spec.policyRefs[0].name, `${e.spec.policyRefs[0].name}-audit`]);
                assert.equal(e.metadata.namespace, "kyverno");
                return { policy: e.spec.policyRefs[0].name, namespace: /^request\.namespace == '([^']+)'$/.exec(nsCondition.expression)![1], workloads, reason: e.metadata.annotations!["fawkes.dev/reason"] };
            });

        const nodeExporter = ["kube-prometheus-stack-prometheus-node-exporter"];
        const common = [
            { policy: "disallow-host-namespaces", namespace: "node-exporter", workloads: nodeExporter, reason: "node-exporter reads node metrics through the host network and PID namespaces" },
            { policy: "disallow-host-path", namespace: "node-exporter", workloads: nodeExporter, reason: "node-exporter reads the node's /proc, /sys and root filesystem through hostPath mounts" },
            { policy: "require-run-as-non-root", namespace: "fluent-bit", workloads: ["fluent-bit"], reason: "reads the node's container logs under /var/log, which only root can read" },
            { policy: "disallow-host-path", namespace: "fluent-bit", workloads: ["fluent-bit"], reason: "tails the node's container logs through hostPath mounts of /var/log (and keeps its read offsets on the node)" },
            {
                policy: "require-requests-limits",
                namespace: "devlake",
                workloads: ["devlake-lake"],
                reason: "the chart renders lake's waiting-database-ready init container without a resources field or a value to set one; the pod gets the LimitRange defaults",
            },
        ];
        const kindIngress = { policy: "disallow-host-ports", namespace: "traefik", workloads: ["traefik"], reason: "on kind the controller serves the laptop's ports 80 and 443 through host ports on the ingress-ready node" };
        const sorted = <T extends { policy: string; namespace: string }>(rows: T[]) => [...rows].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.policy.localeCompare(b.policy));

        it("the full exception list, per stack: policy, namespace, workloads, reason", () => {
            assert.deepEqual(sorted(exceptionTable(runs.get("dev")!)), sorted([...common, kindIngress]));
            assert.deepEqual(sorted(exceptionTable(runs.get("prod")!)), sorted(common));
            assert.deepEqual(sorted(exceptionTable(runs.get("prod-aks")!)), sorted(common));
        });

        /** Namespace → `enforce/warn/audit` as the program labels it. */
        const levels = (run: RunResult) =>
            Object.fromEntries(
                ofType(run, "kubernetes:core/v1:Namespace").map((r) => {
                    const m = (r.inputs as KubeObject).metadata;
                    const l = m.labels ?? {};
                    return [m.name!, ["enforce", "warn", "audit"].map((k) => l[`pod-security.kubernetes.io/${k}`] ?? "-").join("/")];
                }),
            );

        it("every namespace carries PSA labels: privileged (warn baseline) only where a node agent or kind's ingress needs the host, restricted where every pod allows it", () => {
            const restricted = ["argocd", "cert-manager", "cnpg-system", "external-dns", "external-secrets", "grafana", "harbor", "kyverno", "loki", "monitoring", "opentelemetry", "opentelemetry-operator", "postgres", "sonarqube", "backstage", "argo-rollouts"];
            for (const [stack, privileged] of [
                ["dev", ["fluent-bit", "node-exporter", "traefik"]],
                ["prod", ["fluent-bit", "node-exporter"]],
                ["prod-aks", ["fluent-bit", "node-exporter"]],
            ] as const) {
                const got = levels(runs.get(stack)!);
                const by = (value: string) => Object.keys(got).filter((n) => got[n] === value).sort();
                assert.deepEqual(by("privileged/baseline/baseline"), [...privileged].sort(), stack);
                assert.deepEqual(by("restricted/restricted/restricted"), restricted.filter((n) => n in got).sort(), stack);
                assert.deepEqual(Object.keys(got).filter((n) => !["privileged/baseline/baseline", "restricted/restricted/restricted", "baseline/restricted/restricted"].includes(got[n])), [], `${stack}: unlabelled`);
            }
        });

        /** node-exporter's pod as its DaemonSet makes it: the host's network and PID namespaces, hostPath mounts. */
        const nodeExporterPod = (namespace: string) =>
            restrictedPod((s, pod) => {
                Object.assign(s, { hostNetwork: true, hostPID: true });
                (s.volumes as unknown[]).push({ name: "root", hostPath: { path: "/" } });
                pod.metadata = { generateName: `${nodeExporter[0]}-`, namespace, labels: { "app.kubernetes.io/name": "prometheus-node-exporter" } };
            });

        it("node-exporter has a privileged namespace of its own: monitoring has no host exception and enforces restricted", () => {
            for (const [stack, run] of runs) {
                const table = exceptionTable(run);
                assert.deepEqual(table.filter((e) => e.namespace === "monitoring"), [], `${stack}: no exception holds in monitoring`);
                // node-exporter's exceptions hold in its namespace only, for it only, and nothing else is excepted there.
                const inNodeExporter = table.filter((e) => e.namespace === "node-exporter");
                assert.deepEqual(inNodeExporter.map((e) => e.policy).sort(), ["disallow-host-namespaces", "disallow-host-path"], stack);
                assert.ok(inNodeExporter.every((e) => e.workloads.length === 1 && e.workloads[0] === nodeExporter[0]), stack);
                assert.equal(levels(run)["monitoring"], "restricted/restricted/restricted", stack);
                assert.equal(levels(run)["node-exporter"], "privileged/baseline/baseline", stack);
            }
        });

        it("the registered policies and labels admit node-exporter's pod in its namespace and refuse it in monitoring, in Kyverno and in PSA", () => {
            const run = runs.get("prod")!;
            const policies = [...ofType(run, "kubernetes:policies.kyverno.io/v1:ValidatingPolicy"), ...ofType(run, "kubernetes:policies.kyverno.io/v1:PolicyException")].map((r) => r.inputs as KubeObject);
            const namespace = (name: string) => ofType(run, "kubernetes:core/v1:Namespace").map((r) => r.inputs as KubeObject).find((n) => n.metadata.name === name)!;
            const [own, monitoring] = [namespace("node-exporter"), namespace("monitoring")];
            assert.equal(admit(policies, { object: nodeExporterPod("node-exporter"), namespace: own }).allowed, true);
            assert.deepEqual(podSecurityAdmission(nodeExporterPod("node-exporter"), own).refused, []);
            const inMonitoring = admit(policies, { object: nodeExporterPod("monitoring"), namespace: monitoring });
            assert.deepEqual(inMonitoring.verdicts.filter((v) => v.denies).map((v) => v.policy).sort(), ["disallow-host-namespaces", "disallow-host-path"]);
            assert.deepEqual(podSecurityAdmission(nodeExporterPod("monitoring"), monitoring).refused.map((v) => v.control), ["disallow-host-namespaces", "disallow-host-path", "restricted-volume-types"]);
        });
    });
});
