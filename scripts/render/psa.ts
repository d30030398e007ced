// The API server's Pod Security Admission, offline: a namespace's pod-security.kubernetes.io
// labels and the Pod Security Standards' controls (components/addons/pod-security.ts) against a
// Pod. PSA enforces only on Pods (a controller whose template breaks the level gets a warning,
// its pods are refused), so only Pods are judged here.
//
// Modelled: the enforce/warn/audit labels (a namespace without a label is privileged, the
// default of an AdmissionConfiguration without defaults, as on kind, EKS and AKS) at the latest
// version. Not modelled: `*-version` labels, the AdmissionConfiguration's exemptions, and PSA's
// relaxations for Windows pods (spec.os.name: windows) in the restricted level.

import { controlsOf, type PodSecurityLevel, podSecurityLevels, podVariables } from "../../components/addons/pod-security";
import { celTyped, evaluate, type KubeObject } from "./admission";

export type PodSecurityMode = "enforce" | "warn" | "audit";

/** A namespace's level for `mode` (unlabelled, or an unknown value: privileged, as PSA defaults without an AdmissionConfiguration). */
export function namespaceLevel(namespace: KubeObject, mode: PodSecurityMode): PodSecurityLevel {
    const value = namespace.metadata.labels?.[`pod-security.kubernetes.io/${mode}`];
    return podSecurityLevels.find((l) => l === value) ?? "privileged";
}

export interface PodSecurityViolation {
    /** The control's name (pod-security.ts), e.g. disallow-host-path. */
    readonly control: string;
    readonly check: string;
    readonly message: string;
}

/** The controls of `level` the pod breaks (an expression that fails to evaluate counts as broken, with its error). */
export function podSecurityViolations(pod: KubeObject, level: PodSecurityLevel): PodSecurityViolation[] {
    const object = celTyped(pod);
    const variables: Record<string, unknown> = {};
    for (const [name, expression] of Object.entries(podVariables)) {
        const out = evaluate(expression, { object });
        if (out.ok) {
            variables[name] = out.value;
        }
    }
    const out: PodSecurityViolation[] = [];
    for (const control of controlsOf(level)) {
        for (const v of control.validations) {
            const result = evaluate(v.expression, { object, variables });
            if (!result.ok || result.value !== true) {
                out.push({ control: control.name, check: control.check, message: result.ok ? v.message : `${v.message} (${result.error})` });
                break;
            }
        }
    }
    return out;
}

/** What PSA does with a Pod in `namespace`: the violations of its enforce level (refused) and of its warn level. */
export function podSecurityAdmission(pod: KubeObject, namespace: KubeObject): { enforce: PodSecurityLevel; refused: PodSecurityViolation[]; warn: PodSecurityLevel; warnings: PodSecurityViolation[] } {
    const enforce = namespaceLevel(namespace, "enforce");
    const warn = namespaceLevel(namespace, "warn");
    return { enforce, refused: podSecurityViolations(pod, enforce), warn, warnings: podSecurityViolations(pod, warn) };
}
