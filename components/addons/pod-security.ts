// The Kubernetes Pod Security Standards as CEL over a pod's spec and metadata: pure data.
//
// One control per check of the API server's Pod Security Admission (k8s.io/pod-security-admission
// policy/check_*.go at Kubernetes 1.35, the version the stacks run), with its level. The baseline
// controls become Kyverno ValidatingPolicies (kyverno-policies.ts: enforced in the platform's
// namespaces, audited elsewhere); the restricted ones are the API server's to enforce, through the
// namespaces' pod-security.kubernetes.io labels (tenancy.ts). scripts/render/psa.ts runs both
// levels offline against every rendered pod, for the labels each namespace carries.
//
// As PSA does, every control covers containers, init containers and ephemeral containers
// (policy/visitor.go visits all three). The expressions follow kyverno-policies.ts' rules for
// autogen: they read only `object.spec` and `object.metadata`, guard every optional field with
// has(), and use only the CEL core @bufbuild/cel implements.

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** The order of the levels: each admits less than the one before. */
export const podSecurityLevels: readonly PodSecurityLevel[] = ["privileged", "baseline", "restricted"];

/** CEL variables a control may read. */
export const podVariables = {
    /** Containers and init containers: the ones that take resources. */
    containers: "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
    /** Every container of the pod: regular, init and ephemeral. */
    allContainers:
        "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : []) + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])",
    /** runAsNonRoot: true at pod level, which containers inherit unless they set their own. */
    podRunAsNonRoot: "has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot == true",
    /** The pod runs in a user namespace (hostUsers: false): PSA 1.35 relaxes procMount, runAsNonRoot and runAsUser for it. */
    userNamespace: "has(object.spec.hostUsers) && object.spec.hostUsers == false",
} as const;

export type PodVariable = keyof typeof podVariables;

export interface PodValidation {
    readonly expression: string;
    readonly message: string;
}

export interface PodControl {
    /** The Kyverno policy name (baseline), or the control's name in findings (restricted). */
    readonly name: string;
    /** PSA's check ID. */
    readonly check: string;
    readonly level: Exclude<PodSecurityLevel, "privileged">;
    readonly title: string;
    readonly description: string;
    readonly variables: readonly PodVariable[];
    readonly validations: readonly PodValidation[];
}

const list = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(", ")}]`;

/** `path` is unset, or set to one of `allowed` (a string field). */
const unsetOr = (parent: string, field: string, allowed: readonly string[]) => `(!has(${parent}.${field}) || ${parent}.${field} in ${list(allowed)})`;

/** The pod's security context and every container's: `check(sc)` holds for each that is set. */
const podAndContainers = (check: (sc: string) => string) =>
    `(!has(object.spec.securityContext) || ${check("object.spec.securityContext")}) && variables.allContainers.all(c, !has(c.securityContext) || ${check("c.securityContext")})`;

/** PSA's default capability set (check_capabilities_baseline.go). */
export const baselineCapabilities = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"] as const;

/** PSA's safe sysctls at 1.32+ (check_sysctls.go; tcp_slow_start_after_idle and tcp_notsent_lowat join at 1.37). */
export const safeSysctls = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
] as const;

/** SELinux types PSA allows at 1.31+ (check_seLinuxOptions.go). */
export const selinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"] as const;

/** Inline volume sources the restricted level allows (check_restrictedVolumes.go). */
export const restrictedVolumeSources = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"] as const;

const falseOrUnset = (path: string) => `(!has(${path}) || ${path} == false)`;
const emptyOrUnset = (parent: string, field: string) => `(!has(${parent}.${field}) || ${parent}.${field} == '')`;

/** No host in an httpGet or tcpSocket handler of the container's probes and lifecycle hooks (check_hostProbesAndhostLifecycle.go, 1.34+). */
function noHandlerHost(c: string): string {
    const handler = (h: string) => `(!has(${h}) || ((!has(${h}.httpGet) || ${emptyOrUnset(`${h}.httpGet`, "host")}) && (!has(${h}.tcpSocket) || ${emptyOrUnset(`${h}.tcpSocket`, "host")})))`;
    const probes = ["livenessProbe", "readinessProbe", "startupProbe"].map((p) => handler(`${c}.${p}`));
    const hooks = ["postStart", "preStop"].map((h) => handler(`${c}.lifecycle.${h}`));
    return `${probes.join(" && ")} && (!has(${c}.lifecycle) || (${hooks.join(" && ")}))`;
}

const apparmorAnnotation = "container.apparmor.security.beta.kubernetes.io/";
const annotations = "object.metadata.annotations";

export const podControls: readonly PodControl[] = [
    // --- Baseline -------------------------------------------------------------------------
    {
        name: "disallow-host-process",
        check: "windowsHostProcess",
        level: "baseline",
        title: "No Windows HostProcess containers",
        description: "windowsOptions.hostProcess is unset or false on the pod and on every container.",
        variables: ["allContainers"],
        validations: [
            {
                expression: podAndContainers((sc) => `(!has(${sc}.windowsOptions) || ${falseOrUnset(`${sc}.windowsOptions.hostProcess`)})`),
                message: "HostProcess containers are not allowed (securityContext.windowsOptions.hostProcess).",
            },
        ],
    },
    {
        name: "disallow-host-namespaces",
        check: "hostNamespaces",
        level: "baseline",
        title: "No host network, PID or IPC namespaces",
        description: "hostNetwork, hostPID and hostIPC are unset or false.",
        variables: [],
        validations: [
            { expression: falseOrUnset("object.spec.hostNetwork"), message: "hostNetwork must be unset or false." },
            { expression: falseOrUnset("object.spec.hostPID"), message: "hostPID must be unset or false." },
            { expression: falseOrUnset("object.spec.hostIPC"), message: "hostIPC must be unset or false." },
        ],
    },
    {
        name: "disallow-privileged-containers",
        check: "privileged",
        level: "baseline",
        title: "No privileged containers",
        description: "No container, init container or ephemeral container runs privileged.",
        variables: ["allContainers"],
        validations: [
            {
                expression: `variables.allContainers.all(c, !has(c.securityContext) || ${falseOrUnset("c.securityContext.privileged")})`,
                message: "Privileged containers are not allowed.",
            },
        ],
    },
    {
        name: "disallow-capabilities",
        check: "capabilities_baseline",
        level: "baseline",
        title: "No capabilities beyond the default set",
        description: `Containers add only capabilities of the default set (${baselineCapabilities.join(", ")}).`,
        variables: ["allContainers"],
        validations: [
            {
                expression: `variables.allContainers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(cap, cap in ${list(baselineCapabilities)}))`,
                message: `Add no capabilities beyond ${baselineCapabilities.join(", ")} (NET_RAW, SYS_ADMIN and the rest are not allowed).`,
            },
        ],
    },
    {
        name: "disallow-host-path",
        check: "hostPathVolumes",
        level: "baseline",
        title: "No hostPath volumes",
        description: "No volume is a hostPath.",
        variables: [],
        validations: [{ expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))", message: "hostPath volumes are not allowed." }],
    },
    {
        name: "disallow-host-ports",
        check: "hostPorts",
        level: "baseline",
        title: "No host ports",
        description: "No container port sets a hostPort other than 0.",
        variables: ["allContainers"],
        validations: [
            {
                expression: "variables.allContainers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
                message: "hostPort must be unset or 0.",
            },
        ],
    },
    {
        name: "restrict-apparmor-profiles",
        check: "appArmorProfile",
        level: "baseline",
        title: "AppArmor: the runtime default or a localhost profile",
        description: "appArmorProfile.type is RuntimeDefault or Localhost where set, and the beta annotations name runtime/default or localhost/*.",
        variables: ["allContainers"],
        validations: [
            {
                expression: `!has(object.metadata) || !has(${annotations}) || ${annotations}.all(k, !k.startsWith('${apparmorAnnotation}') || ${annotations}[k] == '' || ${annotations}[k] == 'runtime/default' || ${annotations}[k].startsWith('localhost/'))`,
                message: `AppArmor annotations (${apparmorAnnotation}*) may name only runtime/default or localhost/<profile>.`,
            },
            {
                expression: podAndContainers((sc) => `(!has(${sc}.appArmorProfile) || ${unsetOr(`${sc}.appArmorProfile`, "type", ["RuntimeDefault", "Localhost"])})`),
                message: "appArmorProfile.type must be RuntimeDefault or Localhost (Unconfined is not allowed).",
            },
        ],
    },
    {
        name: "restrict-selinux",
        check: "seLinuxOptions",
        level: "baseline",
        title: "SELinux: no custom user, role or type",
        description: `seLinuxOptions set no user or role, and a type only of ${selinuxTypes.filter((t) => t !== "").join(", ")}.`,
        variables: ["allContainers"],
        validations: [
            {
                expression: podAndContainers(
                    (sc) =>
                        `(!has(${sc}.seLinuxOptions) || (${unsetOr(`${sc}.seLinuxOptions`, "type", selinuxTypes)} && ${emptyOrUnset(`${sc}.seLinuxOptions`, "user")} && ${emptyOrUnset(`${sc}.seLinuxOptions`, "role")}))`,
                ),
                message: `seLinuxOptions may set no user or role, and only the type ${selinuxTypes.filter((t) => t !== "").join(", ")}.`,
            },
        ],
    },
    {
        name: "restrict-proc-mount",
        check: "procMount",
        level: "baseline",
        title: "The default /proc mount",
        description: "procMount is unset or Default, unless the pod runs in a user namespace (hostUsers: false).",
        variables: ["allContainers", "userNamespace"],
        validations: [
            {
                expression: `variables.userNamespace || variables.allContainers.all(c, !has(c.securityContext) || ${unsetOr("c.securityContext", "procMount", ["Default"])})`,
                message: "procMount must be unset or Default (Unmasked only with hostUsers: false).",
            },
        ],
    },
    {
        name: "restrict-seccomp",
        check: "seccompProfile_baseline",
        level: "baseline",
        title: "Seccomp: not Unconfined",
        description: "seccompProfile.type is RuntimeDefault or Localhost where set, on the pod and on every container.",
        variables: ["allContainers"],
        validations: [
            {
                expression: podAndContainers((sc) => `(!has(${sc}.seccompProfile) || ${unsetOr(`${sc}.seccompProfile`, "type", ["RuntimeDefault", "Localhost"])})`),
                message: "seccompProfile.type must be RuntimeDefault or Localhost (Unconfined is not allowed).",
            },
        ],
    },
    {
        name: "restrict-sysctls",
        check: "sysctls",
        level: "baseline",
        title: "Only safe sysctls",
        description: `The pod sets only the safe sysctls (${safeSysctls.join(", ")}).`,
        variables: [],
        validations: [
            {
                expression: `!has(object.spec.securityContext) || !has(object.spec.securityContext.sysctls) || object.spec.securityContext.sysctls.all(s, s.name in ${list(safeSysctls)})`,
                message: `Set only the safe sysctls: ${safeSysctls.join(", ")}.`,
            },
        ],
    },
    {
        name: "disallow-probe-hosts",
        check: "hostProbesAndHostLifecycle",
        level: "baseline",
        title: "Probes and lifecycle hooks target the pod",
        description: "No probe or lifecycle handler sets httpGet.host or tcpSocket.host (they would reach other hosts from the kubelet).",
        variables: ["allContainers"],
        validations: [{ expression: `variables.allContainers.all(c, ${noHandlerHost("c")})`, message: "Probes and lifecycle handlers may not set a host." }],
    },

    // --- Restricted: the API server enforces these where a namespace is labelled restricted.
    {
        name: "restricted-volume-types",
        check: "restrictedVolumes",
        level: "restricted",
        title: "Only core volume types",
        description: `Volumes are only ${restrictedVolumeSources.join(", ")}.`,
        variables: [],
        validations: [
            {
                expression: `!has(object.spec.volumes) || object.spec.volumes.all(v, ${restrictedVolumeSources.map((s) => `has(v.${s})`).join(" || ")})`,
                message: `Use only ${restrictedVolumeSources.join(", ")} volumes.`,
            },
        ],
    },
    {
        name: "restricted-privilege-escalation",
        check: "allowPrivilegeEscalation",
        level: "restricted",
        title: "No privilege escalation",
        description: "Every container sets allowPrivilegeEscalation: false.",
        variables: ["allContainers"],
        validations: [
            {
                expression: "variables.allContainers.all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false)",
                message: "Set allowPrivilegeEscalation: false on every container.",
            },
        ],
    },
    {
        name: "restricted-capabilities",
        check: "capabilities_restricted",
        level: "restricted",
        title: "Drop ALL capabilities",
        description: "Every container drops ALL and adds at most NET_BIND_SERVICE.",
        variables: ["allContainers"],
        validations: [
            {
                expression:
                    "variables.allContainers.all(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop && (!has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(cap, cap == 'NET_BIND_SERVICE')))",
                message: "Drop ALL capabilities on every container (add at most NET_BIND_SERVICE).",
            },
        ],
    },
    {
        name: "restricted-run-as-non-root",
        check: "runAsNonRoot",
        level: "restricted",
        title: "Run as non-root",
        description: "runAsNonRoot: true on the pod (no container setting false) or on every container, unless in a user namespace.",
        variables: ["allContainers", "podRunAsNonRoot", "userNamespace"],
        validations: [
            {
                expression:
                    "variables.userNamespace || variables.allContainers.all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot == true : variables.podRunAsNonRoot)",
                message: "Set runAsNonRoot: true on the pod or on every container.",
            },
        ],
    },
    {
        name: "restricted-run-as-user",
        check: "runAsUser",
        level: "restricted",
        title: "No runAsUser 0",
        description: "Neither the pod nor a container sets runAsUser: 0, unless in a user namespace.",
        variables: ["allContainers", "userNamespace"],
        validations: [
            {
                expression: `variables.userNamespace || (${podAndContainers((sc) => `(!has(${sc}.runAsUser) || ${sc}.runAsUser != 0)`)})`,
                message: "runAsUser must not be 0.",
            },
        ],
    },
    {
        name: "restricted-seccomp",
        check: "seccompProfile_restricted",
        level: "restricted",
        title: "Seccomp: RuntimeDefault or Localhost, required",
        description: "seccompProfile.type is RuntimeDefault or Localhost on the pod, or on every container.",
        variables: ["allContainers"],
        validations: [
            {
                expression:
                    "(has(object.spec.securityContext) && has(object.spec.securityContext.seccompProfile) && has(object.spec.securityContext.seccompProfile.type) && object.spec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']) ? variables.allContainers.all(c, !has(c.securityContext) || !has(c.securityContext.seccompProfile) || !has(c.securityContext.seccompProfile.type) || c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']) : variables.allContainers.all(c, has(c.securityContext) && has(c.securityContext.seccompProfile) && has(c.securityContext.seccompProfile.type) && c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost'])",
                message: "Set seccompProfile.type RuntimeDefault (or Localhost) on the pod or on every container.",
            },
        ],
    },
    {
        name: "restricted-proc-mount",
        check: "procMount_restricted",
        level: "restricted",
        title: "The default /proc mount, even in a user namespace",
        description: "procMount is unset or Default.",
        variables: ["allContainers"],
        validations: [
            {
                expression: `variables.allContainers.all(c, !has(c.securityContext) || ${unsetOr("c.securityContext", "procMount", ["Default"])})`,
                message: "procMount must be unset or Default.",
            },
        ],
    },
];

/** The controls a level requires: baseline's for baseline, baseline's and restricted's for restricted. */
export function controlsOf(level: PodSecurityLevel): PodControl[] {
    const rank = podSecurityLevels.indexOf(level);
    return podControls.filter((c) => podSecurityLevels.indexOf(c.level) <= rank);
}

/** The Pod Security Admission labels of a namespace: enforce `enforce`, warn and audit `warn`. */
export function podSecurityLabels(enforce: PodSecurityLevel, warn: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": warn,
        "pod-security.kubernetes.io/audit": warn,
    };
}
