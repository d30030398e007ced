// HA Vault on TLS from an internal CA, and the Vault provider configuring it over a path that
// exists: the API server's service proxy. Mocked runs of prod (EKS, Traefik), prod-aks (AKS)
// and dev (no TLS); every address is taken from what the program registered, so a host the
// program dials but the certificate does not name fails here.

import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { getPath } from "../components/addons/helm";
import { reloadScript } from "../components/addons/vault";
import { proxyVerbs, writeCaFile } from "../components/addons/vault-api-proxy";
import { ingressBackendTls } from "../components/addons/vault-tls";
import { vaultLayerPolicy, vaultLayerPolicyName, vaultLayerTokenCommand } from "../components/vault-layer-policy";
import { type CapturedResource, ofType, type RunResult, runStackFileOk, runWithOperatorTokenOk } from "../scripts/lib/harness";
import { allows, parsePolicy, type PathRule } from "./support/vault-acl";

const releaseType = "kubernetes:helm.sh/v3:Release";
type Obj = Record<string, unknown>;


const vaultValues = (run: RunResult) => ofType(run, releaseType).find((r) => r.inputs.name === "vault")!.inputs.values as Obj;
const custom = (run: RunResult, kind: string) => run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind === kind);
const named = (run: RunResult, kind: string, name: string) => custom(run, kind).find((r) => (r.inputs.metadata as { name: string }).name === name);
const vaultProvider = (run: RunResult) => ofType(run, "pulumi:providers:vault")[0];
/** Hosts of the `leader_api_addr`s in the raft config the release is given. */
const raftConfig = (run: RunResult) => String(getPath(vaultValues(run), "server.ha.raft.config"));
const leaderAddresses = (config: string) => [...config.matchAll(/leader_api_addr\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
const storeServers = (run: RunResult) => custom(run, "SecretStore").map((s) => String(getPath(s.inputs, "spec.provider.vault.server")));
/** The API server and CA of the kubeconfig the stack exports (and its Kubernetes provider uses). */
function kubeApiServer(run: RunResult): { server: string; caPem: string } {
    const doc = parse(String(run.outputs.kubeconfig)) as { clusters: { cluster: { server: string; "certificate-authority-data": string } }[] };
    const { cluster } = doc.clusters[0];
    return { server: cluster.server, caPem: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8") };
}

describe("Vault over TLS, configured through the API server (mocked runs)", function () {
    this.timeout(60_000);
    const runs: Record<string, RunResult> = {};

    before(async () => {
        runs.prod = await runWithOperatorTokenOk("prod");
        runs["prod-aks"] = await runWithOperatorTokenOk("prod-aks");
        runs.dev = await runStackFileOk("dev");
    });

    for (const stack of ["prod", "prod-aks"]) {
        describe(stack, () => {
            it("listens on TLS with the certificate cert-manager writes, and raft peers join over https trusting its CA file", () => {
                const values = vaultValues(runs[stack]);
                assert.equal(getPath(values, "global.tlsDisable"), false, "the chart's https scheme: probes, VAULT_ADDR, Service port names");
                const config = raftConfig(runs[stack]);
                const listener = /listener "tcp" \{([^}]*)\}/.exec(config)?.[1] ?? "";
                assert.doesNotMatch(listener, /tls_disable/);
                const certificate = named(runs[stack], "Certificate", "vault-server-tls")!;
                const secretName = String(getPath(certificate.inputs, "spec.secretName"));
                // The chart mounts an extraVolumes Secret at /vault/userconfig/<name>.
                assert.deepEqual(getPath(values, "server.extraVolumes"), [{ type: "secret", name: secretName }]);
                const dir = `/vault/userconfig/${secretName}`;
                assert.match(listener, new RegExp(`tls_cert_file\\s*= "${dir}/tls.crt"`));
                assert.match(listener, new RegExp(`tls_key_file\\s*= "${dir}/tls.key"`));
                const joins = [...config.matchAll(/retry_join \{([^}]*)\}/g)].map((m) => m[1]);
                assert.equal(joins.length, 3);
                for (const join of joins) {
                    assert.match(join, /leader_api_addr\s*= "https:\/\/vault-\d\.vault-internal:8200"/);
                    assert.match(join, new RegExp(`leader_ca_cert_file = "${dir}/ca.crt"`));
                }
                assert.equal(getPath(values, "server.extraEnvironmentVars.VAULT_CACERT"), `${dir}/ca.crt`, "the in-pod CLI trusts the CA");
            });

            it("issues the server certificate from the internal CA for every host a client dials", () => {
                const run = runs[stack];
                const certificate = named(run, "Certificate", "vault-server-tls")!;
                const spec = certificate.inputs.spec as { dnsNames: string[]; ipAddresses: string[]; issuerRef: { kind: string; name: string } };
                const dialled = [
                    ...leaderAddresses(raftConfig(run)),
                    ...storeServers(run),
                    // The chart's VAULT_ADDR for the in-pod CLI and readiness probe (server-statefulset.yaml, with tlsDisable false).
                    "https://127.0.0.1:8200",
                ].map((a) => new URL(a).hostname);
                for (const host of new Set(dialled)) {
                    assert.ok([...spec.dnsNames, ...spec.ipAddresses].includes(host), `the certificate names ${host}`);
                }
                assert.ok(spec.dnsNames.every((n) => !n.includes("*") && !n.endsWith(String(run.outputs.domain))), "internal names only");
                // Its issuer is the namespace's CA issuer over the CA the stores trust.
                assert.equal(spec.issuerRef.kind, "Issuer");
                const issuer = named(run, "Issuer", spec.issuerRef.name)!;
                assert.equal((issuer.inputs.metadata as { namespace: string }).namespace, "vault");
                const caSecret = ofType(run, "kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === getPath(issuer.inputs, "spec.ca.secretName"))!;
                const caPem = String((caSecret.inputs.stringData as Obj)["tls.crt"]);
                assert.match(caPem, /BEGIN CERTIFICATE/);
                assert.ok(caSecret.secretInputs.some((p) => p.startsWith("stringData")), "the CA key is a secret input");
                for (const store of custom(run, "SecretStore")) {
                    assert.equal(Buffer.from(String(getPath(store.inputs, "spec.provider.vault.caBundle")), "base64").toString("utf8"), caPem, "stores trust that CA");
                }
            });

            it("installs Vault only once its server certificate is issued (the pods mount its Secret)", () => {
                const certificate = named(runs[stack], "Certificate", "vault-server-tls")!;
                assert.equal((certificate.inputs.metadata as { annotations?: Obj }).annotations?.["pulumi.com/waitFor"], "condition=Ready");
                const vault = ofType(runs[stack], "kubernetes:helm.sh/v3:Release").find((r) => r.name === "vault")!;
                assert.ok(vault.dependencies.includes(certificate.urn), "the Vault release waits for the Certificate");
            });

            it("gives every SecretStore the https address of the active node and the CA inline", () => {
                const stores = custom(runs[stack], "SecretStore");
                assert.ok(stores.length > 1);
                for (const store of stores) {
                    assert.equal(getPath(store.inputs, "spec.provider.vault.server"), "https://vault-active.vault.svc:8200");
                    assert.match(Buffer.from(String(getPath(store.inputs, "spec.provider.vault.caBundle")), "base64").toString("utf8"), /^-----BEGIN CERTIFICATE-----/);
                }
            });

            it("configures Vault through the API server's service proxy, with the proxy account's token, never the public host", () => {
                const run = runs[stack];
                const provider = vaultProvider(run);
                const { server } = kubeApiServer(run);
                assert.equal(provider.inputs.address, `${server}/api/v1/namespaces/vault/services/https:vault-active:8200/proxy`);
                assert.ok(!String(provider.inputs.address).includes(String(run.outputs.domain)));
                assert.equal(String(provider.inputs.skipTlsVerify), "false");
                const headers = JSON.parse(String(provider.inputs.headers)) as { name: string; value: string }[];
                const tokenSecret = ofType(run, "kubernetes:core/v1:Secret").find((s) => s.inputs.type === "kubernetes.io/service-account-token")!;
                const token = Buffer.from(String((tokenSecret.state.data as Obj).token), "base64").toString("utf8");
                assert.deepEqual(headers, [{ name: "Authorization", value: `Bearer ${token}` }]);
                assert.ok(provider.secretInputs.includes("headers") && provider.secretInputs.includes("token"), "both credentials stay secret in state");
                // The Vault token goes in its own header (X-Vault-Token), which the API server forwards.
                assert.equal(provider.inputs.token, "hvs.operator-token");
            });

            it("lets the proxy account do nothing but proxy to that one Service", () => {
                const run = runs[stack];
                const address = String(vaultProvider(run).inputs.address);
                const target = /\/services\/([^/]+)\/proxy$/.exec(address)![1];
                const [role] = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) => (r.inputs.metadata as { name: string }).name === "pulumi-vault-config");
                assert.deepEqual(role.inputs.rules, [{ apiGroups: [""], resources: ["services/proxy"], resourceNames: [target], verbs: [...proxyVerbs] }]);
                const binding = ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").find((b) => (b.inputs.metadata as { name: string }).name === "pulumi-vault-config")!;
                assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "pulumi-vault-config", namespace: "vault" }]);
                assert.deepEqual(getPath(binding.inputs, "roleRef"), { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pulumi-vault-config" });
                const tokenSecret = ofType(run, "kubernetes:core/v1:Secret").find((s) => s.inputs.type === "kubernetes.io/service-account-token")!;
                assert.equal((tokenSecret.inputs.metadata as { annotations: Obj }).annotations["kubernetes.io/service-account.name"], "pulumi-vault-config");
                // The provider waits for the binding: a request before it is refused.
                assert.ok(vaultProvider(run).dependencies.includes(binding.urn));
                // No ClusterRole or cluster-wide binding for it.
                assert.ok(!ofType(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").some((b) => JSON.stringify(b.inputs.subjects ?? []).includes("pulumi-vault-config")));
            });

            it("writes the API server's CA where the provider reads it, privately", () => {
                const file = String(vaultProvider(runs[stack]).inputs.caCertFile);
                assert.ok(path.isAbsolute(file) && file.startsWith(os.tmpdir()));
                assert.equal(fs.readFileSync(file, "utf8"), kubeApiServer(runs[stack]).caPem);
                assert.equal(fs.statSync(file).mode & 0o077, 0, "only this user reads it");
                assert.equal(fs.statSync(path.dirname(file)).mode & 0o077, 0, "only this user writes next to it");
            });

            it("runs the reload sidecar in the server pods, with the catalog's resources and the TLS volume", () => {
                const values = vaultValues(runs[stack]);
                assert.equal(getPath(values, "server.shareProcessNamespace"), true, "it signals the server process");
                const [sidecar] = getPath(values, "server.extraContainers") as Obj[];
                assert.equal(sidecar.name, "tls-reload");
                assert.equal(sidecar.image, "hashicorp/vault:2.0.4", "the server's own image");
                assert.deepEqual(sidecar.volumeMounts, [{ name: "userconfig-vault-server-tls", mountPath: "/vault/userconfig/vault-server-tls", readOnly: true }]);
                assert.deepEqual(getPath(sidecar, "securityContext.capabilities"), { drop: ["ALL"] });
                assert.equal(getPath(sidecar, "securityContext.readOnlyRootFilesystem"), true);
                assert.deepEqual((sidecar.command as string[]).slice(0, 2), ["/bin/sh", "-c"]);
            });
        });
    }

    it("prod: Traefik re-encrypts to the active node and verifies it against the CA", () => {
        const run = runs.prod;
        const transport = named(run, "ServersTransport", "vault-tls")!;
        assert.deepEqual(transport.inputs.spec, { serverName: "vault-active.vault.svc", rootCAs: [{ secret: "vault-ca-bundle" }] });
        const annotations = getPath(vaultValues(run), "server.service.active.annotations") as Obj;
        assert.equal(annotations["traefik.ingress.kubernetes.io/service.serversscheme"], "https");
        assert.equal(annotations["traefik.ingress.kubernetes.io/service.serverstransport"], "vault-vault-tls@kubernetescrd");
        const bundle = ofType(run, "kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === "vault-ca-bundle")!;
        assert.deepEqual(Object.keys(bundle.inputs.stringData as Obj), ["ca.crt"], "the CA certificate alone, no key");
    });

    it("ingress-nginx: re-encrypts to the active node and verifies it against the CA too", () => {
        const nginx = ingressBackendTls("ingress-nginx", "vault", "vault-active.vault.svc");
        assert.equal(nginx.serversTransport, undefined);
        assert.deepEqual(nginx.serviceAnnotations, {});
        assert.deepEqual(nginx.ingressAnnotations, {
            "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
            "nginx.ingress.kubernetes.io/proxy-ssl-secret": "vault/vault-ca-bundle",
            "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
            "nginx.ingress.kubernetes.io/proxy-ssl-name": "vault-active.vault.svc",
            "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
        });
        // The chart puts server.ingress.annotations on Vault's Ingress, where ingress-nginx reads them.
        assert.deepEqual(ingressBackendTls("traefik", "vault", "vault-active.vault.svc").ingressAnnotations, {});
    });

    describe("dev", () => {
        it("keeps the in-memory dev server without TLS, and configures it through the same proxy", () => {
            const run = runs.dev;
            assert.equal(getPath(vaultValues(run), "global.tlsDisable"), undefined);
            assert.equal(custom(run, "Certificate").length, 0);
            assert.deepEqual([...new Set(storeServers(run))], ["http://vault.vault.svc:8200"]);
            assert.ok(custom(run, "SecretStore").every((s) => getPath(s.inputs, "spec.provider.vault.caBundle") === undefined));
            const provider = vaultProvider(run);
            assert.equal(provider.inputs.address, `${kubeApiServer(run).server}/api/v1/namespaces/vault/services/http:vault:8200/proxy`);
            assert.equal(fs.readFileSync(String(provider.inputs.caCertFile), "utf8"), kubeApiServer(run).caPem);
        });
    });

    describe("the CA file", () => {
        it("is refused in a directory another user could write to", () => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "vault-ca-"));
            try {
                const owner = process.getuid?.() ?? os.userInfo().username;
                fs.mkdirSync(path.join(root, `fawkes-${owner}`), { mode: 0o777 });
                fs.chmodSync(path.join(root, `fawkes-${owner}`), 0o777);
                if (process.getuid !== undefined) {
                    assert.throws(() => writeCaFile("prod", "pem", root), /not a directory only this user can write/);
                }
                fs.chmodSync(path.join(root, `fawkes-${owner}`), 0o700);
                const file = writeCaFile("prod", "pem", root);
                assert.equal(fs.readFileSync(file, "utf8"), "pem");
                assert.notEqual(writeCaFile("prod", "other", root), file, "another cluster's CA never overwrites it");
            } finally {
                fs.rmSync(root, { recursive: true, force: true });
            }
        });
    });
});

describe("the reload sidecar's loop (run with /bin/sh)", function () {
    this.timeout(10_000);

    /** Runs the loop over a fake certificate: `sleep` returns `rounds` times, changing the file on the given rounds; pkill records its arguments. */
    function runLoop(changeOnRounds: number[], rounds = 4): string[] {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-reload-"));
        try {
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            const cert = path.join(dir, "tls.crt");
            fs.writeFileSync(cert, "first\n");
            const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            stub("sleep", `n=$(cat "${dir}/rounds" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/rounds"; [ $n -le ${rounds} ] || exit 1; case " ${changeOnRounds.join(" ")} " in *" $n "*) echo "renewed $n" > "${cert}";; esac`);
            stub("pkill", `echo "$*" >> "${dir}/signals"`);
            execFileSync("/bin/sh", ["-c", reloadScript.replace(/^cert=.*$/m, `cert=${cert}`)], { env: { PATH: `${bin}:${process.env.PATH}` }, stdio: "pipe" });
            const signals = path.join(dir, "signals");
            return fs.existsSync(signals) ? fs.readFileSync(signals, "utf8").trim().split("\n") : [];
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("sends SIGHUP to the server once per certificate change, and never while it is unchanged", () => {
        assert.deepEqual(runLoop([]), []);
        assert.deepEqual(runLoop([2]), ["-HUP -f ^vault server"]);
        assert.deepEqual(runLoop([1, 3]), ["-HUP -f ^vault server", "-HUP -f ^vault server"]);
    });

    it("matches the server's command line only, not the readiness probe's CLI or a shell", () => {
        const pattern = /^vault server/;
        // The chart's entrypoint execs `vault server -config=/tmp/storageconfig.hcl`; the probe runs `vault status -tls-skip-verify`.
        assert.ok(pattern.test("vault server -config=/tmp/storageconfig.hcl"));
        assert.ok(!pattern.test("vault status -tls-skip-verify"));
        assert.ok(!pattern.test("/usr/bin/dumb-init /bin/sh /usr/local/bin/docker-entrypoint.sh vault server -config=/tmp/storageconfig.hcl"));
        assert.ok(!pattern.test(`/bin/sh -c ${reloadScript}`));
        assert.ok(reloadScript.includes("pkill -HUP -f '^vault server'"));
    });
});

describe("the Vault layer's policy (fawkes:vaultToken)", () => {
    const rules = parsePolicy(vaultLayerPolicy);
    let run: RunResult;
    before(async function () {
        this.timeout(60_000);
        run = await runWithOperatorTokenOk("prod");
    });

    interface Call {
        readonly path: string;
        readonly capabilities: readonly string[];
        readonly what: string;
    }
    // Vault wants create or update on a write, depending on whether the path exists: both.
    const write = ["create", "update"];
    /**
     * The API calls each registered Vault resource makes over its life (create, read, update,
     * delete), from terraform-provider-vault's resource code; `sudo` where Vault's API docs
     * require it (enabling and disabling an auth method). A resource type missing here fails.
     */
    function callsOf(r: CapturedResource): Call[] {
        const i = r.inputs as Record<string, string>;
        const calls = (what: string, path: string, ...capabilities: string[][]) => capabilities.map((c) => ({ path, capabilities: c, what }));
        switch (r.type) {
            case "vault:index/mount:Mount": // MountWithContext, GetMountWithContext, tune on change, UnmountWithContext
                return [...calls("mount", `sys/mounts/${i.path}`, write, ["read"], ["delete"]), ...calls("mount tune", `sys/mounts/${i.path}/tune`, ["update"])];
            case "vault:index/authBackend:AuthBackend": // EnableAuthWithOptions, GetAuth, MountConfig (tune read), TuneMount, DisableAuth
                return [
                    ...calls("auth method", `sys/auth/${i.path}`, [...write, "sudo"], ["read"], ["delete", "sudo"]),
                    ...calls("auth tune", `sys/mounts/auth/${i.path}/tune`, ["read"], ["update"]),
                ];
            case "vault:kubernetes/authBackendConfig:AuthBackendConfig": // Logical().Write and Read; delete makes no call
                return calls("auth config", `auth/${i.backend}/config`, write, ["read"]);
            case "vault:kubernetes/authBackendRole:AuthBackendRole":
                return calls("role", `auth/${i.backend}/role/${i.roleName}`, write, ["read"], ["delete"]);
            case "vault:index/policy:Policy": // PutPolicy, GetPolicy, DeletePolicy: sys/policies/acl/<name>
                return calls("policy", `sys/policies/acl/${i.name}`, write, ["read"], ["delete"]);
            case "vault:kv/secretV2:SecretV2": // data write/read/delete; metadata read back for custom_metadata
                return [...calls("secret", `${i.mount}/data/${i.name}`, write, ["read"], ["delete"]), ...calls("secret metadata", `${i.mount}/metadata/${i.name}`, ["read"])];
            default:
                throw new Error(`${r.type} (${r.name}): list the Vault API calls it makes here, and extend components/vault-layer-policy.ts`);
        }
    }
    /** Every call the Vault layer makes with the operator's token: its resources', the provider's token lookup, and the renewal the README gives. */
    const allCalls = (): Call[] => [
        { path: "auth/token/lookup-self", capabilities: ["read"], what: "provider token lookup" },
        { path: "auth/token/renew-self", capabilities: ["update"], what: "vault token renew" },
        ...run.resources.filter((r) => r.type.startsWith("vault:")).flatMap(callsOf),
    ];
    const refused = (policy: readonly PathRule[]) => allCalls().filter((c) => !c.capabilities.every((cap) => allows([policy], c.path, cap)));

    it("allows every call the Vault layer's resources make", () => {
        assert.ok(allCalls().length > 40);
        assert.deepEqual(refused(rules).map((c) => `${c.what} ${c.path} ${c.capabilities.join("+")}`), []);
    });

    it("grants nothing a call does not need: each capability removed refuses some call", () => {
        for (const [index, rule] of rules.entries()) {
            for (const capability of rule.capabilities) {
                const narrowed = rules.map((r, i) => (i === index ? { ...r, capabilities: r.capabilities.filter((c) => c !== capability) } : r));
                assert.ok(refused(narrowed).length > 0, `${capability} on ${rule.pattern} is needed by no call`);
            }
        }
    });

    it("cannot reach past the layer: other policies, auth methods, roles, mounts and the root token's powers", () => {
        for (const [p, cap] of [
            ["sys/policies/acl/root", "update"],
            ["sys/policies/acl/default", "update"],
            ["sys/auth/userpass", "create"],
            ["sys/auth/token", "delete"],
            ["auth/kubernetes/role/vault-admin", "create"],
            ["sys/mounts/secret", "create"],
            ["platform2/data/x", "read"],
            ["auth/token/create", "update"],
            ["sys/seal", "update"],
        ] as const) {
            assert.ok(!allows([rules], p, cap), `${cap} on ${p}`);
        }
    });

    it("is given to a periodic, renewable, orphan token of that policy alone", () => {
        for (const flag of ["-orphan", "-no-default-policy", `-policy=${vaultLayerPolicyName}`, "-renewable=true"]) {
            assert.ok(vaultLayerTokenCommand.split(" ").includes(flag), flag);
        }
        // Vault caps a period at the token mount's max TTL (768h unless tuned): renew within it.
        assert.match(vaultLayerTokenCommand, / -period=768h /);
    });
});
