import * as assert from "node:assert/strict";
import { resolveChart } from "../scripts/render/charts";
import { helmTemplate, type K8sObject } from "../scripts/render/helm-template";
import { schemaKubernetesVersion, validateObject } from "../scripts/render/schemas";

type Obj = Record<string, unknown>;

const deployment = (pod: Obj = {}, spec: Obj = {}): Obj => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "foo", namespace: "monitoring", labels: { app: "foo" }, creationTimestamp: null },
    spec: {
        replicas: 2,
        selector: { matchLabels: { app: "foo" } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: {
            metadata: { labels: { app: "foo" } },
            spec: {
                containers: [
                    {
                        name: "app",
                        image: "nginx:1.27",
                        ports: [{ name: "http", containerPort: 8080 }],
                        resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: 1, memory: 134217728 } },
                        readinessProbe: { httpGet: { path: "/", port: "http" } },
                        livenessProbe: { tcpSocket: { port: 8080 } },
                        securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    },
                ],
                ...pod,
            },
        },
        ...spec,
    },
});

const service = (targetPort: number | string): Obj => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "foo", namespace: "monitoring" },
    spec: { selector: { app: "foo" }, ports: [{ name: "http", port: 80, targetPort, protocol: "TCP" }] },
});

const cronJob: Obj = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "backup", namespace: "data" },
    spec: {
        schedule: "0 3 * * *",
        concurrencyPolicy: "Forbid",
        jobTemplate: { spec: { backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "backup", image: "busybox:1.36", args: ["sh", "-c", "true"] }] } } } },
    },
};

/** A minimal CRD in the shape charts render, with the schema features the validator handles. */
const widgetCrd: Obj = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
        group: "example.com",
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        scope: "Namespaced",
        versions: [
            { name: "v1alpha1", served: false, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
            {
                name: "v1",
                served: true,
                storage: true,
                schema: {
                    openAPIV3Schema: {
                        type: "object",
                        properties: {
                            apiVersion: { type: "string" },
                            kind: { type: "string" },
                            metadata: { type: "object" },
                            spec: {
                                type: "object",
                                required: ["size"],
                                properties: {
                                    size: { type: "string", enum: ["small", "large"] },
                                    port: { "x-kubernetes-int-or-string": true },
                                    replicas: { type: "integer", format: "int32" },
                                    tags: { type: "array", items: { type: "string" } },
                                    labels: { type: "object", additionalProperties: { type: "string" } },
                                    config: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { level: { type: "integer" } } },
                                    template: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
                                    endpoint: { type: "object", properties: { url: { type: "string" }, secret: { type: "string" } }, oneOf: [{ required: ["url"] }, { required: ["secret"] }] },
                                    owner: { type: "string", nullable: true },
                                },
                            },
                            status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                        },
                    },
                },
            },
        ],
    },
};

const widget = (spec: Obj, apiVersion = "example.com/v1"): Obj => ({ apiVersion, kind: "Widget", metadata: { name: "w", namespace: "apps", labels: { a: "b" } }, spec: { size: "small", ...spec } });

describe("schemas: strict offline validation of rendered objects", function () {
    it("uses the newest Kubernetes schema on npm", () => {
        assert.equal(schemaKubernetesVersion, "1.36");
    });

    it("passes a valid Deployment, Service and CronJob", () => {
        assert.deepEqual(validateObject(deployment(), []), []);
        assert.deepEqual(validateObject(service(8080), []), []);
        assert.deepEqual(validateObject(cronJob, []), []);
    });

    it("reports unknown fields with their path, nested and at spec level", () => {
        const withTypo = deployment({ containers: [{ name: "app", image: "nginx:1.27", securityContext: { runAsNonRoot: true, privilegd: false } }] }, { bogus: 1 });
        assert.deepEqual(validateObject(withTypo, []), [
            "Deployment monitoring/foo: spec.template.spec.containers[0].securityContext.privilegd: unknown field",
            "Deployment monitoring/foo: spec.bogus: unknown field",
        ]);
        assert.deepEqual(validateObject({ ...service(80), metadata: { name: "foo", labelz: {} } }, []), ["Service foo: metadata.labelz: unknown field"]);
    });

    it("reports wrong primitive types", () => {
        const problems = validateObject(deployment({ hostNetwork: "false", containers: [{ name: "app", image: "x", args: "run", env: [{ name: "N", value: 3 }] }] }, { replicas: "3" }), []);
        assert.deepEqual(problems, [
            "Deployment monitoring/foo: spec.replicas: expected integer, got string",
            "Deployment monitoring/foo: spec.template.spec.containers[0].args: expected array, got string",
            "Deployment monitoring/foo: spec.template.spec.containers[0].env[0].value: expected string, got integer",
            "Deployment monitoring/foo: spec.template.spec.hostNetwork: expected boolean, got string",
        ]);
        assert.deepEqual(validateObject({ ...service(80), metadata: { name: "foo", annotations: { "helm.sh/hook-weight": 5 } } }, []), [
            'Service foo: metadata.annotations["helm.sh/hook-weight"]: expected string, got integer',
        ]);
    });

    it("accepts integers and strings for IntOrString and Quantity, nothing else", () => {
        assert.deepEqual(validateObject(service(8080), []), []);
        assert.deepEqual(validateObject(service("http"), []), []);
        assert.deepEqual(validateObject(service(80.5), []), ["Service monitoring/foo: spec.ports[0].targetPort: expected integer or string, got number"]);
        const quantity = deployment({ containers: [{ name: "app", image: "x", resources: { requests: { cpu: 0.5, memory: "1Gi" }, limits: { cpu: true } } }] });
        assert.deepEqual(validateObject(quantity, []), ["Deployment monitoring/foo: spec.template.spec.containers[0].resources.limits.cpu: expected quantity (string or number), got boolean"]);
    });

    it("reports required fields the older kubernetes-models schema knows", () => {
        assert.deepEqual(validateObject(deployment({ containers: [{ image: "x" }] }), []), ["Deployment monitoring/foo: spec.template.spec.containers[0].name: required field missing"]);
    });

    it("rejects removed API versions, naming the served ones", () => {
        const removed = (apiVersion: string, kind: string) => validateObject({ apiVersion, kind, metadata: { name: "old" } }, []);
        assert.deepEqual(removed("batch/v1beta1", "CronJob"), ["CronJob old: batch/v1beta1 CronJob is not served by Kubernetes 1.35 (use batch/v1)"]);
        assert.deepEqual(removed("extensions/v1beta1", "Ingress"), ["Ingress old: extensions/v1beta1 Ingress is not served by Kubernetes 1.35 (use networking.k8s.io/v1)"]);
        assert.deepEqual(removed("policy/v1beta1", "PodSecurityPolicy"), ["PodSecurityPolicy old: policy/v1beta1 PodSecurityPolicy is not served by Kubernetes 1.35"]);
        assert.match(removed("autoscaling/v2beta2", "HorizontalPodAutoscaler")[0], /autoscaling\/v2beta2 HorizontalPodAutoscaler is not served by Kubernetes 1\.35 \(use autoscaling\/v1 or autoscaling\/v2\)/);
        assert.match(removed("policy/v1beta1", "PodDisruptionBudget")[0], /not served.*use policy\/v1/);
    });

    it("follows the stack's Kubernetes version and pre-release APIs the cluster turns on", () => {
        const policy: Obj = { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingAdmissionPolicy", metadata: { name: "p" }, spec: { failurePolicy: "Fail" } };
        assert.match(validateObject(policy, [])[0], /served from Kubernetes 1\.36 on, not by 1\.35/);
        assert.deepEqual(validateObject(policy, [], { kubernetesVersion: "1.36" }), []);
        const claim: Obj = { apiVersion: "resource.k8s.io/v1beta2", kind: "ResourceClaimTemplate", metadata: { name: "c", namespace: "n" }, spec: { spec: {} } };
        assert.match(validateObject(claim, [])[0], /pre-release API that Kubernetes 1\.35 does not serve by default/);
        assert.deepEqual(validateObject(claim, [], { enabledApiVersions: ["resource.k8s.io/v1beta2"] }), []);
    });

    it("validates a custom resource against its CRD's served version", () => {
        const crds = [widgetCrd];
        const valid = widget({ port: "http", replicas: 3, tags: ["a"], labels: { x: "y" }, endpoint: { url: "https://x" }, owner: null, config: { level: 2, anything: { goes: [1] } } });
        assert.deepEqual(validateObject(valid, crds), []);
        assert.deepEqual(validateObject(widget({ port: 8080 }), crds), []);
        assert.deepEqual(validateObject({ ...widget({}), status: { whatever: true } }, crds), []);
        assert.deepEqual(
            validateObject(widget({ bogus: 1, size: "medium", replicas: "3", tags: [1], labels: { x: 1 }, endpoint: { url: "u", secret: "s" }, config: { level: "high" } }), crds),
            [
                "Widget apps/w: spec.size: \"medium\" is not one of \"small\", \"large\"",
                "Widget apps/w: spec.bogus: unknown field",
                "Widget apps/w: spec.replicas: expected integer, got string",
                "Widget apps/w: spec.tags[0]: expected string, got integer",
                "Widget apps/w: spec.labels.x: expected string, got integer",
                "Widget apps/w: spec.endpoint: must match exactly one of the oneOf schemas",
                "Widget apps/w: spec.config.level: expected integer, got string",
            ],
        );
        assert.deepEqual(validateObject({ ...widget({}), spec: { port: 1 } }, crds), ["Widget apps/w: spec.size: required field missing"]);
        // Root metadata is an ObjectMeta whatever the CRD says, and so is an embedded resource's.
        assert.deepEqual(validateObject({ ...widget({}), metadata: { name: "w", labelz: {} } }, crds), ["Widget w: metadata.labelz: unknown field"]);
        const embedded = widget({ template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", bogus: 1 }, spec: { free: "form" } } });
        assert.deepEqual(validateObject(embedded, crds), ["Widget apps/w: spec.template.metadata.bogus: unknown field"]);
    });

    it("rejects a kind no built-in API or given CRD serves", () => {
        assert.deepEqual(validateObject(widget({}), []), ["Widget apps/w: no CRD serves example.com/v1 Widget"]);
        assert.deepEqual(validateObject(widget({}, "example.com/v1alpha1"), [widgetCrd]), ["Widget apps/w: CRD widgets.example.com does not serve v1alpha1 (it serves v1)"]);
        assert.deepEqual(validateObject({ apiVersion: "v1", kind: "Widget", metadata: { name: "w" } }, []), ["Widget w: v1 Widget is not served by Kubernetes 1.35"]);
    });

    describe("a real chart: cert-manager v1.21.2 with its CRDs", function () {
        this.timeout(60_000);
        let objects: readonly K8sObject[] = [];
        let crds: readonly K8sObject[] = [];

        before(async () => {
            const chart = resolveChart({ repo: "https://charts.jetstack.io", name: "cert-manager", version: "v1.21.2" });
            ({ objects } = await helmTemplate({ chart, releaseName: "cert-manager", namespace: "cert-manager", values: { crds: { enabled: true } }, kubeVersion: "1.35.0", apiVersions: [] }));
            crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
        });

        it("renders objects that all pass, CRDs included", () => {
            assert.ok(objects.filter((o) => o.kind === "Deployment").length >= 3, "the controller, webhook and cainjector Deployments");
            assert.ok(crds.length >= 6, "the cert-manager CRDs");
            assert.deepEqual(
                objects.flatMap((o) => validateObject(o, crds)),
                [],
            );
        });

        it("checks a Certificate against the chart's own CRD", () => {
            const certificate = (spec: Obj): Obj => ({
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: "web", namespace: "apps" },
                spec: { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { name: "letsencrypt", kind: "ClusterIssuer" }, ...spec },
            });
            assert.deepEqual(validateObject(certificate({ privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" } }), crds), []);
            assert.deepEqual(validateObject(certificate({ renewBeforePercentage: 30, duration: "2160h", dnsName: "typo" }), crds), ["Certificate apps/web: spec.dnsName: unknown field"]);
            assert.match(validateObject(certificate({ privateKey: { algorithm: "DSA" } }), crds)[0], /spec\.privateKey\.algorithm: "DSA" is not one of/);
            assert.deepEqual(validateObject(certificate({}), []), ["Certificate apps/web: no CRD serves cert-manager.io/v1 Certificate"]);
        });
    });

    it("validates a thousand objects well within a second", () => {
        const batch = Array.from({ length: 250 }, () => [deployment(), service(80), cronJob, widget({ port: 1 })]).flat();
        const started = performance.now();
        const problems = batch.flatMap((o) => validateObject(o, [widgetCrd]));
        assert.deepEqual(problems, []);
        assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    });
});
