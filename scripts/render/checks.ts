// The checks a stack's render must pass, each returning the problems it finds (none = pass):
// the catalog equals what runs, every pod is admitted as the cluster would admit it, every
// object validates against its schema, every image is pinned, every namespace's pods fit its
// quota. `npm test` asserts each is empty; `npm run render` prints them.

import { admissionRuleNames, argoCdControllerUser } from "../../components/addons/admission-rules";
import { admit, type AdmitOptions, type KubeObject, podFromController, type UserInfo } from "./admission";
import type { StackAnalysis } from "./analysis";
import { compareCatalog } from "./catalog-check";
import type { K8sObject } from "./helm-template";
import { imageInventory, imagePinProblem } from "./images";
import { unmodelledPodMakers } from "./operator-pods";
import { isPodMaker } from "./pods";
import { podSecurityAdmission } from "./psa";
import { quotaProblems } from "./quota-check";
import { validateObject } from "./schemas";
import { stackPools } from "./stack-pools";

export type CheckName = "catalog" | "admission" | "schemas" | "images" | "quotas";
export type Findings = Readonly<Record<CheckName, readonly string[]>>;

export const checkNames: readonly CheckName[] = ["catalog", "admission", "schemas", "images", "quotas"];

const programObjects = (analysis: StackAnalysis) => analysis.render.sources.programObjects as K8sObject[];

export function catalogFindings(analysis: StackAnalysis): string[] {
    return [
        ...analysis.apps.flatMap((run) => compareCatalog(run.app, run.rendered, run.operatorMade).map((p) => `${run.app.name}: ${p}`)),
        ...unmodelledPodMakers(analysis.objects),
    ];
}

/** The admission policies exactly as the program registers them with the cluster. */
export const admissionPolicies = (analysis: StackAnalysis) =>
    programObjects(analysis).filter((o) => o.apiVersion.startsWith("policies.kyverno.io/") && (o.kind === "ValidatingPolicy" || o.kind === "PolicyException")) as KubeObject[];

/**
 * Every object that makes pods, checked as the cluster checks it: the controller itself
 * (Kyverno's autogen rules see its pod template as rendered, without LimitRange defaults),
 * then the Pod it creates, with the namespace's LimitRange defaults applied.
 */
/**
 * How the rendered Kyverno is configured to admit: whether it honours PolicyExceptions and
 * from which namespace (its admission controller's flags), and which namespaces its
 * webhooks see (the `webhooks` entry of its ConfigMap).
 */
export function kyvernoSettings(analysis: StackAnalysis): AdmitOptions {
    const objects = analysis.render.charts.find((c) => c.install.app === "kyverno")?.objects ?? [];
    const controller = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-admission-controller"));
    const containers = (controller?.spec as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec?.containers ?? [];
    const flag = (name: string) => containers.flatMap((c) => c.args ?? []).find((a) => a.startsWith(`--${name}=`))?.split("=", 2)[1];
    const config = objects.find((o) => o.kind === "ConfigMap" && (o.data as Record<string, string> | undefined)?.webhooks !== undefined);
    const webhooks = config ? (JSON.parse((config.data as Record<string, string>).webhooks) as { namespaceSelector?: AdmitOptions["webhookNamespaceSelector"] }) : undefined;
    return {
        policyExceptions: { enabled: flag("enablePolicyException") === "true", namespace: flag("exceptionNamespace") ?? "" },
        ...(webhooks?.namespaceSelector ? { webhookNamespaceSelector: webhooks.namespaceSelector } : {}),
    };
}

export function admissionFindings(analysis: StackAnalysis, policies: readonly KubeObject[] = admissionPolicies(analysis)): string[] {
    const objects = programObjects(analysis);
    const settings = kyvernoSettings(analysis);
    const limitRangesIn = (name: string) => objects.filter((o) => o.kind === "LimitRange" && o.metadata.namespace === name) as KubeObject[];
    const problems: string[] = [];
    for (const { app, object } of analysis.objects.filter((o) => isPodMaker(o.object))) {
        const namespace = object.metadata.namespace ?? analysis.apps.find((r) => r.app.name === app)?.app.namespace ?? "";
        const namespaceObject = objects.find((o) => o.kind === "Namespace" && o.metadata.name === namespace) as KubeObject | undefined;
        if (namespaceObject === undefined) {
            // Unlabelled, it would meet only the audit policies: nothing would be checked.
            problems.push(`${app}: ${object.kind} ${object.metadata.name} runs in namespace ${namespace}, which the program does not create (with its labels, quota and limit range)`);
            continue;
        }
        const placed = { ...object, metadata: { ...object.metadata, namespace } } as KubeObject;
        const requests = object.kind === "Pod" ? [placed] : [placed, podFromController(placed, limitRangesIn(namespace))];
        for (const request of requests) {
            const result = admit(policies, { object: request, namespace: namespaceObject }, settings);
            for (const v of result.verdicts.filter((x) => x.denies)) {
                const what = request === placed ? `${object.kind} ${namespace}/${object.metadata.name || placed.metadata.generateName || "?"}` : `its Pod ${request.metadata.name || request.metadata.generateName || ""}`;
                problems.push(`${app}: ${what} is denied by ${v.policy}${v.autogen ? ` (autogen ${v.autogen})` : ""}: ${v.error ?? v.message}`);
            }
            // The API server's Pod Security Admission, by the namespace's labels: it refuses Pods only.
            if (request.kind === "Pod") {
                const psa = podSecurityAdmission(request, namespaceObject);
                for (const v of psa.refused) {
                    problems.push(`${app}: Pod ${namespace}/${request.metadata.name || request.metadata.generateName || ""} is refused by Pod Security Admission (enforce=${psa.enforce}): ${v.control}: ${v.message}`);
                }
            }
        }
    }
    return [...new Set([...problems, ...boundaryFindings(analysis, policies)])];
}

/**
 * The request users objects arrive with: Argo CD's application controller for everything it
 * syncs (its Applications' charts and the root tree), Pulumi's identity for the program's own
 * objects and its Helm releases. On kind that is kubeadm's admin user; what matters to the
 * rules is only that it is no service account (admission-rules.ts).
 */
export const argoCdUser: UserInfo = { username: argoCdControllerUser, groups: ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"] };
export const pulumiUser: UserInfo = { username: "kubernetes-admin", groups: ["kubeadm:cluster-admins", "system:authenticated"] };

/** Built-in cluster-scoped kinds the platform renders (CRDs say their own scope). */
const clusterScopedKinds = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "Node",
]);

/** The rendered objects with the user each arrives with; operator-made objects are left out (their operators' users are not modelled). */
export function requestsOfRender(analysis: StackAnalysis): { app: string; object: K8sObject; user: UserInfo; namespace?: string }[] {
    const installerOf = new Map(analysis.render.charts.map((c) => [c.install.app, c.install]));
    const all = [
        ...analysis.objects
            .filter((o) => o.origin !== "operator")
            .map((o) => ({
                app: o.app,
                object: o.object,
                user: o.origin === "tree" || installerOf.get(o.app)?.installer === "argocd" ? argoCdUser : pulumiUser,
                defaultNamespace: o.origin === "chart" ? installerOf.get(o.app)?.namespace : undefined,
            })),
        ...programObjects(analysis).map((object) => ({ app: "program", object, user: pulumiUser, defaultNamespace: "default" })),
    ];
    const clusterCrds = new Set(
        all
            .map((o) => o.object)
            .filter((o) => o.kind === "CustomResourceDefinition" && (o.spec as { scope?: string } | undefined)?.scope === "Cluster")
            .map((o) => (o.spec as { names: { kind: string } }).names.kind),
    );
    return all.map(({ defaultNamespace, ...o }) => {
        const clusterScoped = clusterScopedKinds.has(o.object.kind) || clusterCrds.has(o.object.kind);
        return clusterScoped ? o : { ...o, namespace: o.object.metadata.namespace ?? defaultNamespace ?? "default" };
    });
}

/** Every rendered object through the cluster-wide boundary rules, with the user it arrives with. */
export function boundaryFindings(analysis: StackAnalysis, policies: readonly KubeObject[] = admissionPolicies(analysis)): string[] {
    const rules = policies.filter((p) => p.kind === "ValidatingPolicy" && (admissionRuleNames as readonly string[]).includes(p.metadata.name ?? ""));
    const namespaces = new Map(programObjects(analysis).filter((o) => o.kind === "Namespace").map((o) => [o.metadata.name, o as KubeObject]));
    const settings = kyvernoSettings(analysis);
    const problems: string[] = [];
    for (const { app, object, user, namespace } of requestsOfRender(analysis)) {
        const namespaceObject = namespace === undefined ? undefined : (namespaces.get(namespace) ?? { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
        const request = namespace === undefined ? (object as KubeObject) : ({ ...object, metadata: { ...object.metadata, namespace } } as KubeObject);
        const result = admit(rules, { object: request, ...(namespaceObject ? { namespace: namespaceObject } : {}), userInfo: user }, settings);
        for (const v of result.verdicts.filter((x) => x.denies)) {
            problems.push(`${app}: ${object.kind} ${namespace ? `${namespace}/` : ""}${object.metadata.name} (as ${user.username}) is denied by ${v.policy}: ${v.error ?? v.message}`);
        }
    }
    return problems;
}

export function schemaFindings(analysis: StackAnalysis): string[] {
    const all = [...analysis.objects.map((o) => ({ app: o.app, object: o.object })), ...programObjects(analysis).map((object) => ({ app: "program", object }))];
    const crds = all.map((o) => o.object).filter((o) => o.kind === "CustomResourceDefinition");
    const kubernetesVersion = analysis.render.sources.config.cluster.kubernetesVersion;
    return all.flatMap(({ app, object }) => validateObject(object, crds, { kubernetesVersion }).map((p) => `${app}: ${p}`));
}

export function imageFindings(analysis: StackAnalysis): string[] {
    return imageInventory(analysis).flatMap((use) => {
        const problem = imagePinProblem(use.image);
        return problem === undefined ? [] : [`${use.app}: ${use.workload}/${use.container}: ${problem}`];
    });
}

export function quotaFindings(analysis: StackAnalysis): string[] {
    const pools = stackPools(analysis.render.sources.config);
    return analysis.apps.flatMap((run) => quotaProblems(run, pools, programObjects(analysis)).map((p) => `${run.app.name}: ${p}`));
}

export function checkStack(analysis: StackAnalysis): Findings {
    return {
        catalog: catalogFindings(analysis),
        admission: admissionFindings(analysis),
        schemas: schemaFindings(analysis),
        images: imageFindings(analysis),
        quotas: quotaFindings(analysis),
    };
}
