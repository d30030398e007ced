// Offline, strict validation of rendered manifests, close to what a server-side apply with
// `fieldValidation=Strict` would say: unknown fields, wrong primitive types, missing
// required fields and API versions the cluster does not serve are problems.
//
// - Built-in kinds: the models @kubernetes/client-node generates from the Kubernetes
//   OpenAPI spec. Each model file carries `attributeTypeMap`, the full property list of one
//   type. The files are read as text: the package's entry point is ESM, needs Node 22 and
//   brings HTTP clients we do not want, and the type maps are plain JSON literals.
//   Required fields come from kubernetes-models (ajv validators, older schema), because
//   client-node's models do not record them.
// - Custom resources: the openAPIV3Schema of the CRD version that serves the object, from
//   the CRDs the caller passes (those the platform's charts render at their pinned versions).

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { kubernetesVersions } from "../../components/kubernetes-versions";

type Obj = Record<string, unknown>;

export interface ValidateOptions {
    /** The cluster's Kubernetes minor, e.g. "1.35" (default: the stacks' default version). */
    readonly kubernetesVersion?: string;
    /** Pre-release group/versions the cluster turns on with --runtime-config, e.g. "resource.k8s.io/v1beta2". */
    readonly enabledApiVersions?: readonly string[];
}

const load = createRequire(__filename);
const genDir = path.join(path.dirname(load.resolve("@kubernetes/client-node/package.json")), "dist", "gen");
const readGen = (file: string) => fs.readFileSync(path.join(genDir, file), "utf8");

/** The Kubernetes release the built-in schema was generated from, e.g. "1.36". */
export const schemaKubernetesVersion: string = /OpenAPI spec version: release-(\d+\.\d+)/.exec(readGen("models/V1Pod.js"))?.[1] ?? "unknown";

// Every backend defaults to the same minor (1.35 today); callers pass the stack's own.
const defaultKubernetesVersion = kubernetesVersions.eks.defaultVersion;
const minorOf = (version: string) => Number(/^v?1\.(\d+)/.exec(version)?.[1] ?? NaN);

// ---- The built-in API surface -------------------------------------------------------------

/**
 * GA kinds the schema's release serves that older releases did not, as `group/version/Kind`:
 * the first minor that serves them. Taken from the create endpoints of client-node's
 * generations for 1.32 to 1.36 (kubernetes-client/javascript history); older stacks are
 * not modelled. Pre-release versions need no entry: they are off by default anyway.
 */
const gaSince: Readonly<Record<string, number>> = {
    "networking.k8s.io/v1/IPAddress": 33,
    "networking.k8s.io/v1/ServiceCIDR": 33,
    "resource.k8s.io/v1/DeviceClass": 34,
    "resource.k8s.io/v1/ResourceClaim": 34,
    "resource.k8s.io/v1/ResourceClaimTemplate": 34,
    "resource.k8s.io/v1/ResourceSlice": 34,
    "storage.k8s.io/v1/VolumeAttributesClass": 34,
    "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy": 36,
    "admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding": 36,
};

/** `V1Deployment` → `Deployment`, `CoreV1Event` → `Event`, `V2MetricTarget` → `MetricTarget`. */
const unversioned = (model: string) => model.replace(/^[A-Za-z]*?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, "");

interface BuiltinApis {
    /** `apps/v1/Deployment` → `V1Deployment`. */
    readonly kinds: ReadonlyMap<string, string>;
    /** Every API group the schema knows, "" for core. */
    readonly groups: ReadonlySet<string>;
    readonly models: ReadonlySet<string>;
}

let builtinApis: BuiltinApis | undefined;

/**
 * The kinds the schema's release serves, from the create endpoints of the generated API
 * classes (`POST /apis/apps/v1/namespaces/{namespace}/deployments` with a `V1Deployment`
 * body). The package keeps files from older generations next to the current ones, so only
 * models that models/all.js still exports count: that drops policy/v1beta1,
 * flowcontrol v1beta3 and the like.
 */
function builtins(): BuiltinApis {
    if (builtinApis === undefined) {
        const models = new Set([...readGen("models/all.js").matchAll(/models\/(\w+)\.js/g)].map((m) => m[1]));
        const kinds = new Map<string, string>();
        const groups = new Set<string>();
        for (const file of fs.readdirSync(path.join(genDir, "apis")).filter((f) => /V\d\w*Api\.js$/.test(f))) {
            for (const method of readGen(`apis/${file}`).matchAll(/\n {4}async create\w+\([^)]*\) \{([\s\S]*?)\n {4}\}/g)) {
                const route = /localVarPath = '\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/([^']*)'/.exec(method[1]);
                const model = /serialize\(body, "(\w+)"/.exec(method[1])?.[1];
                if (route === null || model === undefined || route[4].includes("{name}")) {
                    continue; // subresources: bindings, evictions, tokens
                }
                const [group, version] = route[1] !== undefined ? ["", "v1"] : [route[2], route[3]];
                groups.add(group);
                if (models.has(model)) {
                    kinds.set(`${group === "" ? "" : `${group}/`}${version}/${unversioned(model)}`, model);
                }
            }
        }
        builtinApis = { kinds, groups, models };
    }
    return builtinApis;
}

const splitApiVersion = (apiVersion: string): [string, string] => {
    const slash = apiVersion.lastIndexOf("/");
    return slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
};

/**
 * Why a built-in apiVersion/kind is not served, or undefined when it is. Since 1.24 new beta
 * APIs are off by default (KEP-3136) and alpha APIs always were, and every beta the schema
 * knows is of that kind, so pre-release versions count as not served unless enabled.
 */
function notServed(apiVersion: string, kind: string, kubernetesVersion: string, enabled: readonly string[]): string | undefined {
    const since = gaSince[`${apiVersion}/${kind}`];
    if (since !== undefined && minorOf(kubernetesVersion) < since) {
        return `${apiVersion} ${kind} is served from Kubernetes 1.${since} on, not by ${kubernetesVersion}`;
    }
    if (/^v\d+(alpha|beta)\d+$/.test(splitApiVersion(apiVersion)[1]) && !enabled.includes(apiVersion)) {
        return `${apiVersion} ${kind} is a pre-release API that Kubernetes ${kubernetesVersion} does not serve by default (enable it with --runtime-config and pass it in enabledApiVersions)`;
    }
    return undefined;
}

// ---- Built-in type maps --------------------------------------------------------------------

/** A compiled client-node type string. */
type Shape =
    | { readonly kind: "array" | "map"; readonly of: Shape }
    | { readonly kind: "model"; readonly name: string }
    | { readonly kind: "string" | "integer" | "number" | "boolean" | "int-or-string" | "quantity" | "any" };

/**
 * Fields of type resource.Quantity (string or number in a manifest), as `Model.field` without
 * the version prefix. client-node types them as plain strings, so they come from the
 * release-1.36 swagger the models were generated from.
 */
const quantityFields = new Set(
    [
        "HPAScalingRules.tolerance MetricTarget.averageValue MetricTarget.value MetricValueStatus.averageValue MetricValueStatus.value",
        "ContainerStatus.allocatedResources EmptyDirVolumeSource.sizeLimit ResourceFieldSelector.divisor PodSpec.overhead PodStatus.allocatedResources",
        "LimitRangeItem.default LimitRangeItem.defaultRequest LimitRangeItem.max LimitRangeItem.maxLimitRequestRatio LimitRangeItem.min",
        "NodeAllocatableResourceClaimStatus.resources NodeStatus.allocatable NodeStatus.capacity PersistentVolumeSpec.capacity",
        "PersistentVolumeClaimStatus.allocatedResources PersistentVolumeClaimStatus.capacity ResourceQuotaSpec.hard ResourceQuotaStatus.hard ResourceQuotaStatus.used",
        "ResourceRequirements.limits ResourceRequirements.requests VolumeResourceRequirements.limits VolumeResourceRequirements.requests Overhead.podFixed",
        "CapacityRequestPolicy.default CapacityRequestPolicy.validValues CapacityRequestPolicyRange.max CapacityRequestPolicyRange.min CapacityRequestPolicyRange.step",
        "CapacityRequirements.requests Counter.value DeviceCapacity.value DeviceRequestAllocationResult.consumedCapacity NodeAllocatableResourceMapping.allocationMultiplier",
        "CSIStorageCapacity.capacity CSIStorageCapacity.maximumVolumeSize",
    ]
        .join(" ")
        .split(" "),
);

const shapes = new Map<string, Shape>();

function shapeOf(type: string, format: string, quantity: boolean): Shape {
    const key = `${type}|${format}|${quantity}`;
    let shape = shapes.get(key);
    if (shape === undefined) {
        let m: RegExpExecArray | null;
        if ((m = /^Array<(.+)>$/.exec(type))) {
            shape = { kind: "array", of: shapeOf(m[1], format, quantity) };
        } else if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
            shape = { kind: "map", of: shapeOf(m[1], format, quantity) };
        } else if (type === "string" || type === "Date" || type === "V1MicroTime") {
            shape = { kind: quantity ? "quantity" : "string" };
        } else if (type === "number") {
            shape = { kind: format === "int32" || format === "int64" ? "integer" : "number" };
        } else if (type === "boolean" || type === "any") {
            shape = { kind: type };
        } else if (type === "IntOrString") {
            shape = { kind: "int-or-string" };
        } else if (builtins().models.has(type)) {
            shape = { kind: "model", name: type };
        } else {
            throw new Error(`client-node type ${type} is not one the schema walker knows`);
        }
        shapes.set(key, shape);
    }
    return shape;
}

const modelFields = new Map<string, ReadonlyMap<string, Shape>>();

/** A model's fields by their JSON name, from the `X.attributeTypeMap = [...]` literal in its file. */
function fieldsOf(model: string): ReadonlyMap<string, Shape> {
    let fields = modelFields.get(model);
    if (fields === undefined) {
        const literal = /\n\w+\.attributeTypeMap = (\[[\s\S]*?\n\]);/.exec(readGen(`models/${model}.js`));
        if (literal === null) {
            throw new Error(`client-node model ${model} has no attributeTypeMap`);
        }
        const attributes = JSON.parse(literal[1]) as { baseName: string; type: string; format: string }[];
        const base = unversioned(model);
        fields = new Map(attributes.map((a) => [a.baseName, shapeOf(a.type, a.format, quantityFields.has(`${base}.${a.baseName}`))]));
        modelFields.set(model, fields);
    }
    return fields;
}

// ---- Shared helpers ------------------------------------------------------------------------

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
const field = (at: string, key: string) => (/^[A-Za-z_][\w-]*$/.test(key) ? (at === "" ? key : `${at}.${key}`) : `${at}[${JSON.stringify(key)}]`);
const where = (at: string) => (at === "" ? "(root)" : at);

/** The primitive shapes: the test, and what a problem says was expected. */
const primitives: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
    string: [(v) => typeof v === "string", "string"],
    boolean: [(v) => typeof v === "boolean", "boolean"],
    number: [(v) => typeof v === "number", "number"],
    integer: [(v) => Number.isInteger(v), "integer"],
    "int-or-string": [(v) => typeof v === "string" || Number.isInteger(v), "integer or string"],
    quantity: [(v) => typeof v === "string" || typeof v === "number", "quantity (string or number)"],
    any: [() => true, "anything"],
};

function checkShape(value: unknown, shape: Shape, at: string, out: string[]): void {
    // null is how YAML writes an empty value; the API server treats it as unset.
    if (value === null || value === undefined) {
        return;
    }
    const wrong = (expected: string): void => void out.push(`${where(at)}: expected ${expected}, got ${typeName(value)}`);
    if (shape.kind === "array") {
        if (!Array.isArray(value)) {
            return wrong("array");
        }
        value.forEach((item, i) => checkShape(item, shape.of, `${at}[${i}]`, out));
    } else if (shape.kind === "map") {
        if (!isObject(value)) {
            return wrong("object");
        }
        for (const [k, v] of Object.entries(value)) {
            checkShape(v, shape.of, field(at, k), out);
        }
    } else if (shape.kind === "model") {
        if (!isObject(value)) {
            return wrong(`object (${unversioned(shape.name)})`);
        }
        const fields = fieldsOf(shape.name);
        for (const [k, v] of Object.entries(value)) {
            const fieldShape = fields.get(k);
            if (fieldShape === undefined) {
                out.push(`${field(at, k)}: unknown field`);
            } else {
                checkShape(v, fieldShape, field(at, k), out);
            }
        }
    } else {
        const [ok, expected] = primitives[shape.kind];
        if (!ok(value)) {
            wrong(expected);
        }
    }
}

/** JSON pointer (`/spec/containers/0`) to our dotted path, walking the object to tell indices from keys. */
function pointerToPath(obj: unknown, pointer: string): string {
    let at = "";
    let node = obj;
    for (const raw of pointer.split("/").slice(1)) {
        const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        at = Array.isArray(node) ? `${at}[${key}]` : field(at, key);
        node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
    }
    return at;
}

type ModelClass = new (data: unknown) => { validate(): void };
const requiredCheckers = new Map<string, ModelClass | null>();

/**
 * Missing required fields, from kubernetes-models' validator for the kind (schema 1.33; kinds
 * it lacks get no required check). Only its `required` errors are kept: types and unknown
 * fields are ours, against the newer schema.
 */
function missingRequired(obj: Obj, apiVersion: string, kind: string): string[] {
    const key = `${apiVersion}/${kind}`;
    let model = requiredCheckers.get(key);
    if (model === undefined) {
        try {
            model = (load(`kubernetes-models/${key}`) as Record<string, ModelClass>)[kind] ?? null;
        } catch {
            model = null;
        }
        requiredCheckers.set(key, model);
    }
    if (model === null) {
        return [];
    }
    try {
        new model(obj).validate();
        return [];
    } catch (e) {
        const errors = (e as { errors?: { keyword: string; instancePath: string; params: { missingProperty?: string } }[] }).errors ?? [];
        return errors.filter((err) => err.keyword === "required").map((err) => `${field(pointerToPath(obj, err.instancePath), err.params.missingProperty ?? "?")}: required field missing`);
    }
}

// ---- Custom resources: structural schemas -------------------------------------------------

interface Schema {
    readonly type?: string;
    readonly properties?: Readonly<Record<string, Schema>>;
    readonly additionalProperties?: Schema | boolean;
    readonly items?: Schema;
    readonly required?: readonly string[];
    readonly enum?: readonly unknown[];
    readonly format?: string;
    readonly nullable?: boolean;
    readonly anyOf?: readonly Schema[];
    readonly oneOf?: readonly Schema[];
    readonly allOf?: readonly Schema[];
    readonly "x-kubernetes-int-or-string"?: boolean;
    readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
    readonly "x-kubernetes-embedded-resource"?: boolean;
}

/** The formats checked, loosely; the API server knows more (and ignores unknown ones). */
const formats: Readonly<Record<string, (v: unknown) => boolean>> = {
    "date-time": (v) => typeof v !== "string" || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v),
    byte: (v) => typeof v !== "string" || /^[A-Za-z0-9+/]*={0,2}$/.test(v),
    int32: (v) => typeof v !== "number" || (v >= -(2 ** 31) && v < 2 ** 31),
};

const objectMeta: Shape = { kind: "model", name: "V1ObjectMeta" };

/**
 * Walks a value against a structural schema. `strict` is false inside anyOf/oneOf/allOf:
 * structural schemas may not declare fields there, so those branches only constrain values.
 * `embedded` (the root, or x-kubernetes-embedded-resource) allows apiVersion, kind and
 * metadata without declaring them, and checks metadata as an ObjectMeta.
 */
function checkSchema(value: unknown, schema: Schema, at: string, out: string[], strict: boolean, embedded = false): void {
    // null: the API server prunes it when the schema is not nullable, so it never fails.
    if (value === null || value === undefined) {
        return;
    }
    const wrong = (expected: string): void => void out.push(`${where(at)}: expected ${expected}, got ${typeName(value)}`);
    if (schema["x-kubernetes-int-or-string"]) {
        if (typeof value !== "string" && !Number.isInteger(value)) {
            return wrong("integer or string");
        }
    } else if (schema.type !== undefined) {
        const test = schema.type === "object" ? isObject : schema.type === "array" ? Array.isArray : primitives[schema.type]?.[0];
        if (test !== undefined && !test(value)) {
            return wrong(schema.type);
        }
    }
    if (schema.enum !== undefined && !schema.enum.some((e) => e === value || JSON.stringify(e) === JSON.stringify(value))) {
        out.push(`${where(at)}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    }
    if (schema.format !== undefined && formats[schema.format]?.(value) === false) {
        out.push(`${where(at)}: ${JSON.stringify(value)} is not a valid ${schema.format}`);
    }
    embedded ||= schema["x-kubernetes-embedded-resource"] === true;
    if (isObject(value)) {
        for (const key of schema.required ?? []) {
            if (!(key in value)) {
                out.push(`${field(at, key)}: required field missing`);
            }
        }
        for (const [key, v] of Object.entries(value)) {
            const sub = schema.properties?.[key];
            if (embedded && (key === "apiVersion" || key === "kind")) {
                checkShape(v, { kind: "string" }, field(at, key), out);
            } else if (embedded && key === "metadata") {
                checkShape(v, objectMeta, field(at, key), out);
            } else if (sub !== undefined) {
                checkSchema(v, sub, field(at, key), out, strict);
            } else if (typeof schema.additionalProperties === "object") {
                checkSchema(v, schema.additionalProperties, field(at, key), out, strict);
            } else if (strict && schema.additionalProperties !== true && !schema["x-kubernetes-preserve-unknown-fields"]) {
                out.push(`${field(at, key)}: unknown field`);
            }
        }
    } else if (Array.isArray(value) && schema.items !== undefined) {
        value.forEach((item, i) => checkSchema(item, schema.items!, `${at}[${i}]`, out, strict));
    }
    // Value validations: a branch matches when it finds no problem.
    const matches = (branch: Schema) => {
        const problems: string[] = [];
        checkSchema(value, branch, at, problems, false);
        return problems.length === 0;
    };
    if (schema.allOf !== undefined) {
        schema.allOf.forEach((branch) => checkSchema(value, branch, at, out, false));
    }
    if (schema.anyOf !== undefined && !schema.anyOf.some(matches)) {
        out.push(`${where(at)}: matches none of the anyOf schemas`);
    }
    if (schema.oneOf !== undefined && schema.oneOf.filter(matches).length !== 1) {
        out.push(`${where(at)}: must match exactly one of the oneOf schemas`);
    }
}

interface CrdVersions {
    readonly crd: string;
    readonly versions: ReadonlyMap<string, { readonly served: boolean; readonly schema?: Schema }>;
}

const crdIndexes = new WeakMap<readonly Obj[], ReadonlyMap<string, CrdVersions>>();

/** The CRDs by `group/Kind`, built once per list the caller passes. */
function crdIndex(crds: readonly Obj[]): ReadonlyMap<string, CrdVersions> {
    let index = crdIndexes.get(crds);
    if (index === undefined) {
        const byKind = new Map<string, CrdVersions>();
        for (const crd of crds) {
            const spec = crd.spec as { group?: string; names?: { kind?: string }; versions?: { name: string; served?: boolean; schema?: { openAPIV3Schema?: Schema } }[] } | undefined;
            if (crd.kind !== "CustomResourceDefinition" || spec?.group === undefined || spec.names?.kind === undefined) {
                continue;
            }
            const versions = new Map((spec.versions ?? []).map((v) => [v.name, { served: v.served !== false, schema: v.schema?.openAPIV3Schema }]));
            byKind.set(`${spec.group}/${spec.names.kind}`, { crd: String((crd.metadata as Obj | undefined)?.name), versions });
        }
        index = byKind;
        crdIndexes.set(crds, index);
    }
    return index;
}

// ---- Entry point ---------------------------------------------------------------------------

/**
 * Problems with one rendered object, each as `Kind namespace/name: path: problem`; none when
 * it would pass a strict server-side apply on a cluster of opts.kubernetesVersion that has
 * the given CRDs installed.
 */
export function validateObject(obj: Record<string, unknown>, crds: readonly Record<string, unknown>[], opts: ValidateOptions = {}): string[] {
    const { apiVersion, kind } = obj;
    const meta = isObject(obj.metadata) ? obj.metadata : {};
    const label = `${String(kind)} ${typeof meta.namespace === "string" ? `${meta.namespace}/` : ""}${String(meta.name)}`;
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
        return [`${label}: apiVersion and kind must be strings`];
    }
    const kubernetesVersion = opts.kubernetesVersion ?? defaultKubernetesVersion;
    const out: string[] = [];
    const [group, version] = splitApiVersion(apiVersion);
    const { kinds, groups } = builtins();
    const model = kinds.get(`${apiVersion}/${kind}`);
    const crd = crdIndex(crds).get(`${group}/${kind}`);
    if (model !== undefined) {
        const reason = notServed(apiVersion, kind, kubernetesVersion, opts.enabledApiVersions ?? []);
        if (reason !== undefined) {
            return [`${label}: ${reason}`];
        }
        checkShape(obj, { kind: "model", name: model }, "", out);
        out.push(...missingRequired(obj, apiVersion, kind));
    } else if (crd !== undefined) {
        const served = crd.versions.get(version);
        if (served === undefined || !served.served) {
            return [`${label}: CRD ${crd.crd} does not serve ${version} (it serves ${[...crd.versions].filter(([, v]) => v.served).map(([v]) => v).join(", ")})`];
        }
        if (served.schema !== undefined) {
            checkSchema(obj, served.schema, "", out, true, true);
        }
    } else if (groups.has(group) || !group.includes(".")) {
        // A Kubernetes group (CRD groups need a dot): a removed or never-existing version.
        const current = [...kinds.keys()]
            .map((key) => key.slice(0, key.lastIndexOf("/")))
            .filter((v) => kinds.has(`${v}/${kind}`) && notServed(v, kind, kubernetesVersion, []) === undefined);
        const hint = current.length > 0 ? ` (use ${[...new Set(current)].join(" or ")})` : "";
        return [`${label}: ${apiVersion} ${kind} is not served by Kubernetes ${kubernetesVersion}${hint}`];
    } else {
        return [`${label}: no CRD serves ${apiVersion} ${kind}`];
    }
    return out.map((problem) => `${label}: ${problem}`);
}
