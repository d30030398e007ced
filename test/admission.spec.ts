import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { type PolicyName, policyExceptions, policyNames, validatingPolicies } from "../components/addons/kyverno-policies";
import { type CatalogApp, coreAddons, enabledGitopsApps } from "../components/catalog";
import { ofType, runStackFileOk } from "../scripts/lib/harness";
import { resolveChart } from "../scripts/render/charts";
import {
    admit,
    type AdmissionRequest,
    autogenPolicies,
    autogenRewrite,
    checkFunctions,
    functionProblems,
    type KubeObject,
    podFromController,
    policyFunctions,
    type Verdict,
} from "../scripts/render/admission";

const vpolType = "kubernetes:policies.kyverno.io/v1:ValidatingPolicy";
const polexType = "kubernetes:policies.kyverno.io/v1:PolicyException";
const partOf = { "app.kubernetes.io/part-of": "fawkes" };
const coreApps = coreAddons({ provider: "kind", ha: false, ingressController: "traefik" });

// ---------------------------------------------------------------------------------------------
// The CRDs of the pinned chart, as ajv validators (with the API server's strict field checks).

/** The v1 openAPIV3Schema of a policies.kyverno.io CRD in the pinned Kyverno chart (its kyverno-api subchart). */
function crdSchema(file: string): Record<string, unknown> {
    const chart = resolveChart(coreApps.find((a) => a.name === "kyverno")!.chart);
    const text = execFileSync("tar", ["-xOzf", chart.file, `kyverno/charts/kyverno-api/templates/${file}`], { encoding: "utf8" });
    const crd = parse(text) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
    return crd.spec.versions.find((v) => v.name === "v1")!.schema.openAPIV3Schema;
}

/** Unknown fields are errors (kubectl's and server-side apply's strict field validation), except where the schema keeps them. */
function strict(schema: unknown): unknown {
    if (Array.isArray(schema)) {
        return schema.map(strict);
    }
    if (schema === null || typeof schema !== "object") {
        return schema;
    }
    const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v)]));
    if ("properties" in out && out["x-kubernetes-preserve-unknown-fields"] !== true && !("additionalProperties" in out)) {
        out.additionalProperties = false;
    }
    return out;
}

function validator(file: string): ValidateFunction {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    // Lists the API server keeps unique: sets by value, maps by their keys.
    ajv.addKeyword({
        keyword: "x-kubernetes-list-type",
        type: "array",
        schemaType: "string",
        validate: (kind: string, data: unknown[], parent?: Record<string, unknown>) => {
            const keys = kind === "map" ? ((parent?.["x-kubernetes-list-map-keys"] as string[] | undefined) ?? []) : [];
            const ids = kind === "set" ? data.map((d) => JSON.stringify(d)) : kind === "map" ? data.map((d) => JSON.stringify(keys.map((k) => (d as Record<string, unknown>)[k]))) : [];
            return new Set(ids).size === ids.length;
        },
    });
    return ajv.compile(strict(crdSchema(file)) as object);
}

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What the API server would say about a manifest of the CRD: schema errors, plus the metadata rules. */
function schemaErrors(validate: ValidateFunction, o: KubeObject, namespaced: boolean): string[] {
    const errors = validate(o) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
    const name = o.metadata.name ?? "";
    if (!dnsSubdomain.test(name) || name.length > 253) {
        errors.push(`metadata.name ${name} is not a DNS subdomain`);
    }
    if (namespaced !== (o.metadata.namespace !== undefined)) {
        errors.push(namespaced ? "a namespaced kind without metadata.namespace" : "a cluster-scoped kind with metadata.namespace");
    }
    return errors;
}

// ---------------------------------------------------------------------------------------------
// Objects to admit.

const namespace = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const platform = namespace("web", partOf);
const sandbox = namespace("sandbox", {});

type Container = { name: string; image?: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> }; securityContext?: Record<string, unknown>; [k: string]: unknown };
type PodSpec = { containers: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[]; securityContext?: Record<string, unknown>; [k: string]: unknown };
type Pod = KubeObject & { metadata: { labels: Record<string, string> }; spec: PodSpec };

/** A pod that passes every baseline policy (a quantity as a YAML number, a registry with a port, an init container). */
function goodPod(): Pod {
    const resources = () => ({ requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: 1, memory: "128Mi" } });
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", labels: { "app.kubernetes.io/name": "web" } },
        spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            initContainers: [{ name: "migrate", image: "busybox:1.36.1", resources: resources() }],
            containers: [{ name: "web", image: "registry:5000/team/web:1.2.3", ports: [{ containerPort: 8080 }], resources: resources(), securityContext: { privileged: false } }],
        },
    };
}

type Kind = "Pod" | "Deployment" | "CronJob";

/** The pod as `kind`: its own metadata keeps the labels, so a rule must read the template's. */
function as(kind: Kind, pod: Pod): KubeObject {
    const metadata = { name: pod.metadata.name, labels: { "app.kubernetes.io/name": "web" } };
    const template = { metadata: { labels: pod.metadata.labels, ...(pod.metadata.annotations ? { annotations: pod.metadata.annotations } : {}) }, spec: pod.spec };
    switch (kind) {
        case "Pod":
            return pod;
        case "Deployment":
            return { apiVersion: "apps/v1", kind, metadata, spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template } };
        case "CronJob":
            return { apiVersion: "batch/v1", kind, metadata, spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: { ...template, spec: { ...pod.spec, restartPolicy: "OnFailure" } } } } } };
    }
}

const request = (object: KubeObject, ns: KubeObject, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
    object: { ...object, metadata: { ...object.metadata, namespace: ns.metadata.name } },
    namespace: ns,
    operation: "CREATE",
    ...extra,
});

const autogenOf: Record<Kind, string | undefined> = { Pod: undefined, Deployment: "defaults", CronJob: "cronjobs" };
const summary = (vs: readonly Verdict[]) => vs.map((v) => `${v.policy}${v.autogen ? `[${v.autogen}]` : ""} ${v.action}${v.exemptedBy ? ` exempted by ${v.exemptedBy.join(",")}` : ""}: ${v.error ?? v.message}`);

const init = (p: Pod) => p.spec.initContainers![0];
const main = (p: Pod) => p.spec.containers[0];

/** Per rule: changes that break it (and only it). */
const breaking: { policy: PolicyName; what: string; change: (p: Pod) => void; podOnly?: boolean; message: RegExp }[] = [
    { policy: "require-app-name-label", what: "no app.kubernetes.io/name label", change: (p) => delete p.metadata.labels["app.kubernetes.io/name"], message: /app\.kubernetes\.io\/name/ },
    { policy: "require-app-name-label", what: "an empty app.kubernetes.io/name", change: (p) => (p.metadata.labels["app.kubernetes.io/name"] = ""), message: /app\.kubernetes\.io\/name/ },
    { policy: "require-requests-limits", what: "an init container without limits", change: (p) => delete init(p).resources!.limits, message: /requests and resources\.limits/ },
    { policy: "require-requests-limits", what: "a container without a memory request", change: (p) => delete main(p).resources!.requests!.memory, message: /requests and resources\.limits/ },
    { policy: "disallow-privileged-containers", what: "a privileged init container", change: (p) => (init(p).securityContext = { privileged: true }), message: /Privileged/ },
    {
        policy: "disallow-privileged-containers",
        what: "a privileged ephemeral container",
        change: (p) => (p.spec.ephemeralContainers = [{ name: "debug", image: "busybox:1.36.1", securityContext: { privileged: true } }]),
        podOnly: true,
        message: /Privileged/,
    },
    { policy: "disallow-host-namespaces", what: "hostNetwork", change: (p) => (p.spec.hostNetwork = true), message: /hostNetwork/ },
    { policy: "disallow-host-namespaces", what: "hostPID", change: (p) => (p.spec.hostPID = true), message: /hostPID/ },
    { policy: "disallow-host-namespaces", what: "hostIPC", change: (p) => (p.spec.hostIPC = true), message: /hostIPC/ },
    // The Pod Security Standards' other baseline controls (components/addons/pod-security.ts).
    { policy: "disallow-host-process", what: "a Windows HostProcess init container", change: (p) => (init(p).securityContext = { windowsOptions: { hostProcess: true } }), message: /HostProcess/ },
    { policy: "disallow-host-process", what: "a HostProcess pod", change: (p) => (p.spec.securityContext!.windowsOptions = { hostProcess: true }), message: /HostProcess/ },
    { policy: "disallow-capabilities", what: "NET_RAW added to an init container", change: (p) => (init(p).securityContext = { capabilities: { add: ["NET_RAW"] } }), message: /capabilities/ },
    { policy: "disallow-capabilities", what: "SYS_ADMIN beside a default one", change: (p) => (main(p).securityContext = { capabilities: { add: ["CHOWN", "SYS_ADMIN"] } }), message: /capabilities/ },
    {
        policy: "disallow-capabilities",
        what: "SYS_PTRACE on an ephemeral container",
        change: (p) => (p.spec.ephemeralContainers = [{ name: "debug", image: "busybox:1.36.1", securityContext: { capabilities: { add: ["SYS_PTRACE"] } } }]),
        podOnly: true,
        message: /capabilities/,
    },
    { policy: "disallow-host-path", what: "a hostPath volume", change: (p) => (p.spec.volumes = [{ name: "data", emptyDir: {} }, { name: "root", hostPath: { path: "/" } }]), message: /hostPath/ },
    { policy: "disallow-host-ports", what: "a hostPort on an init container", change: (p) => (init(p).ports = [{ containerPort: 80, hostPort: 80 }]), message: /hostPort/ },
    { policy: "restrict-apparmor-profiles", what: "an unconfined AppArmor annotation", change: (p) => (p.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "unconfined" }), message: /AppArmor/ },
    { policy: "restrict-apparmor-profiles", what: "appArmorProfile Unconfined on an init container", change: (p) => (init(p).securityContext = { appArmorProfile: { type: "Unconfined" } }), message: /appArmorProfile/ },
    { policy: "restrict-selinux", what: "an SELinux user on the pod", change: (p) => (p.spec.securityContext!.seLinuxOptions = { user: "system_u" }), message: /seLinuxOptions/ },
    { policy: "restrict-selinux", what: "the spc_t SELinux type on an init container", change: (p) => (init(p).securityContext = { seLinuxOptions: { type: "spc_t" } }), message: /seLinuxOptions/ },
    { policy: "restrict-proc-mount", what: "an Unmasked /proc on an init container", change: (p) => (init(p).securityContext = { procMount: "Unmasked" }), message: /procMount/ },
    { policy: "restrict-seccomp", what: "an Unconfined pod", change: (p) => (p.spec.securityContext!.seccompProfile = { type: "Unconfined" }), message: /seccompProfile/ },
    { policy: "restrict-seccomp", what: "an Unconfined init container", change: (p) => (init(p).securityContext = { seccompProfile: { type: "Unconfined" } }), message: /seccompProfile/ },
    { policy: "restrict-sysctls", what: "an unsafe sysctl", change: (p) => (p.spec.securityContext!.sysctls = [{ name: "net.ipv4.tcp_syncookies", value: "1" }, { name: "kernel.msgmax", value: "65536" }]), message: /sysctls/ },
    { policy: "disallow-probe-hosts", what: "a liveness probe on another host", change: (p) => (main(p).livenessProbe = { httpGet: { host: "169.254.169.254", path: "/", port: 80 } }), message: /host/ },
    { policy: "disallow-probe-hosts", what: "a preStop hook on another host", change: (p) => (init(p).lifecycle = { preStop: { tcpSocket: { host: "10.0.0.1", port: 22 } } }), message: /host/ },
    { policy: "require-run-as-non-root", what: "a root init container under a non-root pod", change: (p) => (init(p).securityContext = { runAsNonRoot: false }), message: /runAsNonRoot/ },
    {
        policy: "require-run-as-non-root",
        what: "no pod-level runAsNonRoot and an init container without it",
        change: (p) => {
            delete p.spec.securityContext;
            main(p).securityContext = { runAsNonRoot: true };
        },
        message: /runAsNonRoot/,
    },
    { policy: "disallow-latest-tag", what: "registry:5000/app (a port, no tag)", change: (p) => (main(p).image = "registry:5000/app"), message: /tag or a digest/ },
    { policy: "disallow-latest-tag", what: "an untagged init image", change: (p) => (init(p).image = "busybox"), message: /tag or a digest/ },
    { policy: "disallow-latest-tag", what: ":latest", change: (p) => (main(p).image = "ghcr.io/team/web:latest"), message: /:latest/ },
];

/** Changes a pod may make and still pass every rule. */
const passing: { what: string; change: (p: Pod) => void }[] = [
    { what: "the pod as it is", change: () => undefined },
    { what: "a digest instead of a tag", change: (p) => (main(p).image = `registry.example.com/team/web@sha256:${"a1".repeat(32)}`) },
    { what: "a tag and a digest", change: (p) => (init(p).image = `busybox:1.36.1@sha256:${"0f".repeat(32)}`) },
    {
        what: "runAsNonRoot on every container instead of the pod",
        change: (p) => {
            delete p.spec.securityContext;
            [main(p), init(p)].forEach((c) => (c.securityContext = { runAsNonRoot: true }));
        },
    },
    { what: "host namespaces set to false", change: (p) => Object.assign(p.spec, { hostNetwork: false, hostPID: false, hostIPC: false }) },
    {
        what: "what the Pod Security Standards' baseline allows: default capabilities, hostPort 0, runtime/default and localhost profiles, container_t, Default procMount, safe sysctls, probes without a host",
        change: (p) => {
            init(p).securityContext = { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL"] }, procMount: "Default", seccompProfile: { type: "Localhost", localhostProfile: "web.json" } };
            init(p).ports = [{ containerPort: 80, hostPort: 0 }];
            main(p).livenessProbe = { httpGet: { path: "/healthz", port: 8080 } };
            main(p).securityContext = { privileged: false, appArmorProfile: { type: "Localhost", localhostProfile: "web" }, seLinuxOptions: { type: "container_t", level: "s0:c1,c2" } };
            p.spec.securityContext = { ...p.spec.securityContext, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.ip_local_port_range", value: "1024 65535" }], windowsOptions: { hostProcess: false } };
            p.spec.volumes = [{ name: "data", emptyDir: {} }];
            p.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/web": "localhost/web", "container.apparmor.security.beta.kubernetes.io/migrate": "runtime/default" };
        },
    },
    { what: "an Unmasked /proc in a user namespace", change: (p) => Object.assign(p.spec, { hostUsers: false, initContainers: [{ ...init(p), securityContext: { procMount: "Unmasked" } }] }) },
];

const mutated = (change: (p: Pod) => void) => {
    const pod = goodPod();
    change(pod);
    return pod;
};

describe("offline admission: the program's Kyverno ValidatingPolicies, evaluated with @bufbuild/cel", function () {
    this.timeout(20_000);
    /** The ValidatingPolicies and PolicyExceptions the program registers for the dev stack, as its inputs. */
    let program: KubeObject[];
    let limitRange: KubeObject;
    let apps: CatalogApp[];

    before(async () => {
        const run = await runStackFileOk("dev");
        program = [...ofType(run, vpolType), ...ofType(run, polexType)].map((r) => r.inputs as KubeObject);
        limitRange = ofType(run, "kubernetes:core/v1:LimitRange")[0].inputs as KubeObject;
        apps = [...coreApps, ...enabledGitopsApps({})];
    });

    describe("the manifests validate against the chart's policies.kyverno.io CRDs", () => {
        let vpol: ValidateFunction;
        let polex: ValidateFunction;
        before(() => {
            vpol = validator("policies.kyverno.io_validatingpolicies.yaml");
            polex = validator("policies.kyverno.io_policyexceptions.yaml");
        });

        it("every ValidatingPolicy and PolicyException the program registers", () => {
            const policies = program.filter((p) => p.kind === "ValidatingPolicy");
            const exceptions = program.filter((p) => p.kind === "PolicyException");
            // Pod policies: a pair per family (other engineers' non-pod rules ride along in the same list).
            const names = new Set(policies.map((p) => p.metadata.name));
            assert.deepEqual(policyNames.flatMap((n) => [n, `${n}-audit`]).filter((n) => !names.has(n)), []);
            assert.ok(exceptions.length > 0, "the dev stack's apps document exceptions");
            assert.deepEqual(policies.flatMap((p) => schemaErrors(vpol, p, false)), []);
            assert.deepEqual(exceptions.flatMap((e) => schemaErrors(polex, e, true)), []);
        });

        it("and the schemas really check: a mutated policy or exception fails", () => {
            const [policy] = validatingPolicies();
            const withSpec = (spec: Record<string, unknown>): KubeObject => ({ ...policy, spec: { ...policy.spec, ...spec } });
            const conditions = [{ name: "same", expression: "true" }];
            assert.ok(schemaErrors(vpol, withSpec({ validationActions: ["Enforce"] }), false).some((e) => /allowed values/.test(e)));
            assert.notDeepEqual(schemaErrors(vpol, withSpec({ validationAction: ["Deny"] }), false), [], "an unknown field");
            assert.notDeepEqual(schemaErrors(vpol, withSpec({ matchConditions: [...conditions, ...conditions] }), false), [], "matchConditions are a map keyed by name");
            assert.notDeepEqual(schemaErrors(vpol, withSpec({ failurePolicy: "Sometimes" }), false), []);
            const [exception] = policyExceptions([{ ...coreApps[0], policyExceptions: [{ policy: "disallow-host-namespaces", reason: "test", workloads: ["x"] }] }]);
            assert.deepEqual(schemaErrors(polex, exception, true), []);
            assert.notDeepEqual(schemaErrors(polex, { ...exception, spec: { matchConditions: conditions } }, true), [], "policyRefs are required");
            assert.notDeepEqual(schemaErrors(polex, { ...exception, metadata: { ...exception.metadata, namespace: undefined } }, true), []);
        });
    });

    describe("every rule: a pod that passes, and one it denies in a platform namespace and audits elsewhere; the same as a Deployment and a CronJob (autogen)", () => {
        for (const kind of ["Pod", "Deployment", "CronJob"] as const) {
            for (const ok of passing) {
                it(`${kind}: passes with ${ok.what}`, () => {
                    for (const ns of [platform, sandbox]) {
                        const result = admit(program, request(as(kind, mutated(ok.change)), ns));
                        assert.deepEqual(summary(result.verdicts), []);
                        assert.equal(result.allowed, true);
                        assert.equal(result.matched.length, policyNames.length, `each family has exactly one policy for ${ns.metadata.name}: ${result.matched.join(", ")}`);
                    }
                });
            }
            for (const bad of breaking.filter((b) => kind === "Pod" || !b.podOnly)) {
                it(`${kind}: ${bad.policy} catches ${bad.what}`, () => {
                    const object = as(kind, mutated(bad.change));
                    const enforced = admit(program, request(object, platform, { operation: bad.podOnly ? "UPDATE" : "CREATE" }));
                    assert.deepEqual(
                        enforced.verdicts.map((v) => [v.policy, v.autogen, v.action, v.denies]),
                        [[bad.policy, autogenOf[kind], "Deny", true]],
                        summary(enforced.verdicts).join("\n"),
                    );
                    assert.match(enforced.verdicts[0].message, bad.message);
                    assert.equal(enforced.verdicts[0].error, undefined);
                    assert.equal(enforced.allowed, false);
                    const audited = admit(program, request(object, sandbox));
                    assert.deepEqual(
                        audited.verdicts.map((v) => [v.policy, v.autogen, v.action, v.denies]),
                        [[`${bad.policy}-audit`, autogenOf[kind], "Audit", false]],
                    );
                    assert.equal(audited.allowed, true);
                });
            }
        }
    });

    it("reports a policy's first failed validation, as Kyverno does, or every one on request", () => {
        const both = request(mutated((p) => Object.assign(p.spec, { hostNetwork: true, hostIPC: true })), platform);
        assert.deepEqual(summary(admit(program, both).verdicts), ["disallow-host-namespaces Deny: hostNetwork must be unset or false."]);
        assert.deepEqual(
            admit(program, both, { everyValidation: true }).verdicts.map((v) => [v.validation, v.message]),
            [
                [0, "hostNetwork must be unset or false."],
                [2, "hostIPC must be unset or false."],
            ],
        );
    });

    it("checks nothing where Kyverno's webhooks do not reach: kube-system and Kyverno's own namespace, with the chart's defaults", () => {
        const hostNetwork = mutated((p) => (p.spec.hostNetwork = true));
        for (const name of ["kube-system", "kyverno"]) {
            const result = admit(program, request(hostNetwork, namespace(name, partOf)));
            assert.deepEqual([result.reachesKyverno, result.allowed, result.verdicts.length], [false, true, 0], name);
        }
        const everywhere = admit(program, request(hostNetwork, namespace("kyverno", partOf)), { webhookNamespaceSelector: {} });
        assert.deepEqual([everywhere.reachesKyverno, everywhere.allowed], [true, false]);
    });

    describe("the pods controllers create", () => {
        const bare = () =>
            mutated((p) => {
                delete main(p).resources;
                delete init(p).resources;
            });
        const here = (lr: KubeObject) => ({ ...lr, metadata: { ...lr.metadata, namespace: platform.metadata.name } });

        it("LimitRange defaults: a Deployment without resources is denied at the controller; the Pod it creates passes after the defaults", () => {
            const deployment = request(as("Deployment", bare()), platform).object;
            assert.deepEqual(summary(admit(program, request(deployment, platform)).verdicts), [
                "require-requests-limits[defaults] Deny: Set resources.requests and resources.limits for cpu and memory on every container and init container.",
            ]);
            const pod = podFromController(deployment, [here(limitRange)]);
            assert.equal(pod.metadata.name, undefined);
            assert.match(pod.metadata.generateName!, /^web-[bcdfghjklmnpqrstvwxz2456789]{10}-$/);
            assert.equal(pod.metadata.labels!["pod-template-hash"], pod.metadata.generateName!.split("-")[1]);
            assert.equal(pod.metadata.namespace, "web");
            const defaults = (limitRange.spec as { limits: { default: object; defaultRequest: object }[] }).limits[0];
            for (const c of [...(pod.spec as PodSpec).containers, ...(pod.spec as PodSpec).initContainers!]) {
                assert.deepEqual(c.resources, { requests: defaults.defaultRequest, limits: defaults.default }, c.name);
            }
            assert.match(pod.metadata.annotations!["kubernetes.io/limit-ranger"], /^LimitRanger plugin set: cpu, memory request for container web/);
            assert.deepEqual(summary(admit(program, request(pod, platform)).verdicts), []);
            // Only the namespace's own LimitRanges apply, and never to a controller's template.
            assert.deepEqual(summary(admit(program, request(podFromController(deployment, [limitRange]), platform)).verdicts), [
                "require-requests-limits Deny: Set resources.requests and resources.limits for cpu and memory on every container and init container.",
            ]);
            assert.equal((deployment.spec as { template: { spec: PodSpec } }).template.spec.containers[0].resources, undefined);
        });

        it("limits without requests: the controller is denied, its pods get requests from the limits (Pod defaulting)", () => {
            const limitsOnly = mutated((p) => [main(p), init(p)].forEach((c) => delete c.resources!.requests));
            const deployment = request(as("Deployment", limitsOnly), platform).object;
            assert.equal(admit(program, request(deployment, platform)).allowed, false);
            const pod = podFromController(deployment);
            assert.deepEqual(main(pod as Pod).resources, { limits: { cpu: 1, memory: "128Mi" }, requests: { cpu: 1, memory: "128Mi" } });
            assert.equal(admit(program, request(pod, platform)).allowed, true);
        });

        it("names pods as their controllers do", () => {
            const template = { metadata: { labels: { "app.kubernetes.io/name": "x" } }, spec: goodPod().spec };
            const made = (kind: string, apiVersion: string, spec: Record<string, unknown>) => podFromController({ apiVersion, kind, metadata: { name: "x", namespace: "web" }, spec }).metadata;
            assert.equal(made("DaemonSet", "apps/v1", { template }).generateName, "x-");
            assert.equal(made("Job", "batch/v1", { template }).generateName, "x-");
            assert.equal(made("StatefulSet", "apps/v1", { template }).name, "x-0");
            assert.match(made("CronJob", "batch/v1", { jobTemplate: { spec: { template } } }).generateName!, /^x-\d+-$/);
            assert.throws(() => podFromController({ apiVersion: "v1", kind: "Service", metadata: { name: "x" } }), /not a pod controller/);
        });
    });

    describe("PolicyExceptions", () => {
        const metrics: CatalogApp = {
            ...coreApps[0],
            name: "metrics",
            namespace: "metrics",
            policyExceptions: [{ policy: "disallow-host-namespaces", reason: "node metrics", workloads: ["node-exporter"] }],
        };
        const daemonSet = (name: string, change: (p: Pod) => void = () => undefined): KubeObject => ({
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name },
            spec: {
                selector: { matchLabels: { app: name } },
                template: {
                    metadata: { labels: { "app.kubernetes.io/name": name } },
                    spec: mutated((p) => {
                        Object.assign(p.spec, { hostNetwork: true, hostPID: true });
                        change(p);
                    }).spec,
                },
            },
        });
        const policies = () => [...validatingPolicies(), ...policyExceptions([metrics])];
        const inMetrics = namespace("metrics", partOf);
        const exemption = ["kyverno/metrics-disallow-host-namespaces"];

        it("exempt exactly the app's workloads, and the pods they create, in its namespace", () => {
            const ds = request(daemonSet("node-exporter"), inMetrics);
            const result = admit(policies(), ds);
            assert.deepEqual(summary(result.verdicts), [`disallow-host-namespaces[defaults] Deny exempted by ${exemption[0]}: hostNetwork must be unset or false.`]);
            assert.equal(result.allowed, true);
            const pod = podFromController(ds.object);
            assert.equal(pod.metadata.generateName, "node-exporter-");
            assert.deepEqual(admit(policies(), request(pod, inMetrics)).verdicts[0].exemptedBy, exemption);
            assert.equal(admit(policies(), request(pod, inMetrics)).allowed, true);
            // Outside the platform's namespaces the audit twin is exempted too.
            const audited = admit(policies(), request(daemonSet("node-exporter"), namespace("metrics", {})));
            assert.deepEqual(audited.verdicts.map((v) => [v.policy, v.exemptedBy]), [["disallow-host-namespaces-audit", exemption]]);
        });

        it("not another workload, another namespace or another policy", () => {
            for (const name of ["kube-state-metrics", "node-exporterx"]) {
                assert.equal(admit(policies(), request(daemonSet(name), inMetrics)).allowed, false, name);
            }
            assert.equal(admit(policies(), request(daemonSet("node-exporter"), namespace("web", partOf))).allowed, false);
            const privileged = admit(policies(), request(daemonSet("node-exporter", (p) => (main(p).securityContext = { privileged: true })), inMetrics));
            assert.deepEqual(
                privileged.verdicts.filter((v) => v.denies).map((v) => v.policy),
                ["disallow-privileged-containers"],
            );
        });

        it("count only when the chart enables them, and only in Kyverno's namespace", () => {
            const ds = request(daemonSet("node-exporter"), inMetrics);
            assert.equal(admit(policies(), ds, { policyExceptions: { enabled: false, namespace: "kyverno" } }).allowed, false);
            const elsewhere = policies().map((p) => (p.kind === "PolicyException" ? { ...p, metadata: { ...p.metadata, namespace: "metrics" } } : p));
            assert.equal(admit(elsewhere, ds).allowed, false);
            assert.equal(admit(elsewhere, ds, { policyExceptions: { enabled: true, namespace: "*" } }).allowed, true);
            const expired = policies().map((p) => (p.kind === "PolicyException" ? { ...p, spec: { ...p.spec, expiresAt: "2020-01-01T00:00:00Z" } } : p));
            assert.equal(admit(expired, ds).allowed, false);
        });

        it("every exception the program registers exempts its workloads in the namespace they run in, and nowhere else", () => {
            for (const exception of program.filter((p) => p.kind === "PolicyException")) {
                const app = apps.find((a) => a.name === exception.metadata.labels!["fawkes.dev/app"])!;
                const policy = (exception.spec as { policyRefs: { name: string }[] }).policyRefs[0].name as PolicyName;
                const breaks = breaking.find((b) => b.policy === policy && !b.podOnly)!;
                for (const workload of app.policyExceptions.find((e) => e.policy === policy)!.workloads) {
                    // The app's namespace, or the one the workload runs in (node-exporter's own).
                    const home = app.workloads.find((w) => w.name === workload)?.namespace ?? app.namespace;
                    const pod = { ...mutated(breaks.change), metadata: { generateName: `${workload}-`, labels: mutated(breaks.change).metadata.labels } } as KubeObject;
                    const own = admit(program, request(pod, namespace(home, partOf)));
                    assert.deepEqual(own.verdicts.map((v) => [v.policy, v.exemptedBy]), [[policy, [`kyverno/${exception.metadata.name}`]]], `${exception.metadata.name}: ${workload}`);
                    for (const elsewhere of new Set(["elsewhere", app.namespace].filter((n) => n !== home))) {
                        assert.equal(admit(program, request(pod, namespace(elsewhere, partOf))).allowed, false, `${exception.metadata.name}: ${workload} in ${elsewhere}`);
                    }
                    // Another workload whose name merely starts with this one's is not covered.
                    const neighbour = { ...pod, metadata: { ...pod.metadata, generateName: `${workload}-debug-` } } as KubeObject;
                    assert.equal(admit(program, request(neighbour, namespace(home, partOf))).allowed, false, `${workload}-debug`);
                    const neighbourController = { ...pod, metadata: { ...pod.metadata, name: `${workload}-debug`, generateName: undefined } } as KubeObject;
                    assert.equal(admit(program, request(neighbourController, namespace(home, partOf))).allowed, false, `${workload}-debug as a named object`);
                }
            }
        });
    });

    describe("autogen, as Kyverno 1.19 does it", () => {
        it("rewrites object.spec and object.metadata into the template's paths, as text, except before .namespace", () => {
            const text = "object.spec.containers, oldObject.spec.x, object.metadata.labels, object.metadata.namespace, object.metadata.namespaceFoo, object.metadata.name, namespaceObject.metadata.labels";
            assert.equal(
                autogenRewrite(text, "defaults"),
                "object.spec.template.spec.containers, oldObject.spec.template.spec.x, object.spec.template.metadata.labels, object.metadata.namespace, object.spec.template.metadata.namespaceFoo, object.spec.template.metadata.name, namespaceObject.metadata.labels",
            );
            assert.equal(autogenRewrite("object.spec.hostPID && object.metadata.labels", "cronjobs"), "object.spec.jobTemplate.spec.template.spec.hostPID && object.spec.jobTemplate.spec.template.metadata.labels");
        });

        it("generates a copy per config with the controllers' rules, the policy's operations and its namespaceSelector", () => {
            const policy = program.find((p) => p.metadata.name === "disallow-host-namespaces")!;
            const generated = autogenPolicies(policy);
            assert.deepEqual(
                generated.map((g) => [g.config, (g.spec.matchConstraints as { resourceRules: unknown }).resourceRules]),
                [
                    ["cronjobs", [{ apiGroups: ["batch"], apiVersions: ["v1"], resources: ["cronjobs"], operations: ["CREATE", "UPDATE"] }]],
                    [
                        "defaults",
                        [
                            { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["daemonsets", "deployments", "replicasets", "statefulsets"], operations: ["CREATE", "UPDATE"] },
                            { apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], operations: ["CREATE", "UPDATE"] },
                        ],
                    ],
                ],
            );
            for (const g of generated) {
                assert.deepEqual((g.spec.matchConstraints as { namespaceSelector: unknown }).namespaceSelector, { matchLabels: partOf });
            }
        });

        it("honours spec.autogen.podControllers.controllers, and only applies to exactly one rule for core v1 pods", () => {
            const policy = program.find((p) => p.metadata.name === "disallow-host-namespaces")!;
            const spec = policy.spec as { matchConstraints: { resourceRules: Record<string, unknown>[] } };
            const withSpec = (s: Record<string, unknown>) => [{ ...policy, spec: { ...policy.spec, ...s } }];
            const hostNetwork = mutated((p) => (p.spec.hostNetwork = true));
            const matched = (policies: KubeObject[], kind: Kind) => admit(policies, request(as(kind, hostNetwork), platform)).matched;
            const deploymentsOnly = withSpec({ autogen: { podControllers: { controllers: ["deployments"] } } });
            assert.deepEqual(matched(deploymentsOnly, "Deployment"), ["disallow-host-namespaces[defaults]"]);
            assert.deepEqual(matched(deploymentsOnly, "CronJob"), []);
            assert.deepEqual(matched(withSpec({ autogen: { podControllers: { controllers: [] } } }), "Deployment"), []);
            const anyVersion = withSpec({ matchConstraints: { ...spec.matchConstraints, resourceRules: [{ ...spec.matchConstraints.resourceRules[0], apiVersions: ["*"] }] } });
            assert.deepEqual(matched(anyVersion, "Deployment"), []);
            assert.deepEqual(matched(anyVersion, "Pod"), ["disallow-host-namespaces"]);
        });
    });

    it("types objects as the API server does: integers as int, quantities as strings", () => {
        const typing: KubeObject = {
            apiVersion: "policies.kyverno.io/v1",
            kind: "ValidatingPolicy",
            metadata: { name: "typing" },
            spec: {
                matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] },
                validations: [
                    { expression: "object.spec.containers[0].resources.limits.cpu == '1' && type(object.spec.containers[0].resources.limits.cpu) == string", message: "cpu: 1 is the string '1'" },
                    { expression: "type(object.spec.containers[0].ports[0].containerPort) == int && type(object.spec.securityContext.runAsUser) == int", message: "ports are ints" },
                    { expression: "object.spec.containers[0].ports[0].containerPort == 8080", message: "8080" },
                ],
            },
        };
        assert.deepEqual(summary(admit([typing], request(goodPod(), platform)).verdicts), []);
        const doubles = { ...typing, spec: { ...typing.spec, validations: [{ expression: "type(object.spec.containers[0].ports[0].containerPort) == double", message: "not a double" }] } };
        assert.deepEqual(summary(admit([doubles], request(goodPod(), platform)).verdicts), ["typing Deny: not a double"]);
    });

    describe("every function a policy calls is one the evaluator implements", () => {
        it("the program's policies and exceptions: yes", () => {
            checkFunctions(program);
            const used = new Set(program.flatMap((p) => policyFunctions(p).flatMap((u) => u.functions)));
            for (const f of [".all", ".exists", "has", ".matches", "@in"]) {
                assert.ok(used.has(f), `${f} among ${[...used].join(" ")}`);
            }
        });

        it("a Kubernetes CEL library call, an unknown method, optional syntax or a parse error is reported, naming the policy and the expression", () => {
            const bad: KubeObject = {
                apiVersion: "policies.kyverno.io/v1",
                kind: "ValidatingPolicy",
                metadata: { name: "needs-k8s-cel" },
                spec: {
                    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] },
                    variables: [{ name: "images", expression: "object.spec.containers.map(c, c.image)" }],
                    validations: [
                        { expression: "quantity('1') < quantity('2')" },
                        { expression: "variables.images.all(i, i.split(':').size() == 2)" },
                        { expression: "object.?spec.orValue(true)" },
                        { expression: "variables.nope && optional.of(1) != null" },
                    ],
                },
            };
            const problems = functionProblems([bad]);
            assert.ok(problems.includes("ValidatingPolicy needs-k8s-cel: spec.validations[0].expression `quantity('1') < quantity('2')`: missing function quantity"), problems.join("\n"));
            assert.ok(problems.some((p) => /validations\[1\].*missing function \.split/.test(p)));
            assert.ok(problems.some((p) => /validations\[2\].*does not parse/.test(p)));
            assert.ok(problems.some((p) => /validations\[3\].*unknown variable variables\.nope/.test(p)));
            assert.ok(problems.some((p) => /validations\[3\].*missing function optional\.of/.test(p)));
            assert.throws(() => checkFunctions([bad]), /needs-k8s-cel.*quantity\('1'\).*missing function quantity/);
            // At run time the same call fails closed: an error verdict that denies.
            const [verdict] = admit([bad], request(goodPod(), platform)).verdicts;
            assert.equal(verdict.denies, true);
            assert.match(verdict.error!, /quantity/);
        });
    });
});
