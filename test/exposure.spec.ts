// Exposure (issue 11, point 6): HTTP redirects to HTTPS on both controllers, HSTS only with a
// publicly trusted issuer, Vault and Argo CD on an internal-only entrypoint when
// fawkes:ingress.internal says so, and every UI behind a login: its own, or (DevLake, Thanos,
// Pyroscope) basic auth at the ingress with a login from Vault.

import * as assert from "node:assert/strict";
import { type IngressArgs, ingressNginxValues, internalEntrypoint, internalRouteAnnotations, traefikValues } from "../components/addons/ingress";
import { type CatalogApp, coreAddons, type GitOpsApp, gitopsApps } from "../components/catalog";
import { hasUiAuth, uiAuthName } from "../components/catalog/ui-auth";
import { parseConfig, type RawConfig } from "../components/config";
import type { TlsIssuer } from "../components/config-types";
import { appProjects, chartSource, platformTree } from "../components/gitops/manifests";
import { platformSecretSpecs } from "../components/platform-secrets";
import { ConfigError } from "../components/validation";
import { type CapturedResource, type RunResult, runStackFileOk, type StackConfig, stackFileConfig } from "../scripts/lib/harness";
import { stackConfig } from "../scripts/lib/stacks";
import { resolveChart } from "../scripts/render/charts";
import { helmTemplate, type K8sObject } from "../scripts/render/helm-template";

type Obj = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

const entrypointsAnnotation = "traefik.ingress.kubernetes.io/router.entrypoints";
const internal = { apps: ["vault", "argo-cd"], sourceRanges: ["10.0.0.0/8"] };
const withInternal = (value: unknown) => (config: StackConfig) => {
    config["fawkes:ingress"] = { controller: "traefik", internal: value };
};

/** prod with Vault and Argo CD internal: one run of the program, shared by the tests below. */
let prodInternalRun: Promise<RunResult> | undefined;
const prodInternal = () => (prodInternalRun ??= runStackFileOk("prod", withInternal(internal)));

/** Release values as the program registered them. */
const release = (run: RunResult, name: string): CapturedResource => {
    const found = run.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === name);
    assert.ok(found, `release ${name}`);
    return found;
};
const values = (run: RunResult, name: string) => release(run, name).inputs.values as Obj;

/** The traefik core app of a cloud stack, for calling the values functions directly. */
const traefikApp = coreAddons({ provider: "eks", ha: true, ingressController: "traefik" }).find((a) => a.name === "traefik")!;
const valuesArgs = (issuer: TlsIssuer, extra: Partial<IngressArgs> = {}) => ({ app: traefikApp, exposure: "loadBalancer" as const, issuer, httpsPort: 443, cluster: "eks" as const, ...extra });

describe("exposure", function () {
    this.timeout(60000);

    describe("HTTP redirects to HTTPS", () => {
        it("Traefik redirects its web entrypoint permanently to websecure, on the stack's https port", async () => {
            const dev = await runStackFileOk("dev");
            const ports = values(dev, "ingress").ports as Obj;
            assert.deepEqual(at(ports, "web", "http", "redirections", "entryPoint"), { to: "websecure", scheme: "https", permanent: true });
            assert.equal(at(ports, "websecure", "exposedPort"), 443);
            // A kind stack on other host ports: the chart redirects to websecure's exposedPort, which must be the host's https port.
            const kind = traefikValues(valuesArgs("local-ca", { exposure: "hostPort", cluster: "kind", httpsPort: 8443 }));
            assert.equal(at(kind, "ports", "websecure", "exposedPort"), 8443);
            assert.deepEqual(at(kind, "ports", "web", "http", "redirections", "entryPoint"), { to: "websecure", scheme: "https", permanent: true });
        });

        it("ingress-nginx keeps ssl-redirect on (it skips /.well-known/acme-challenge itself)", () => {
            assert.equal(at(ingressNginxValues(valuesArgs("local-ca")), "controller", "config", "ssl-redirect"), "true");
        });
    });

    describe("HSTS only with a publicly trusted issuer", () => {
        const hstsOf = (issuer: TlsIssuer) => {
            const traefik = traefikValues(valuesArgs(issuer));
            return {
                middlewares: at(traefik, "ports", "websecure", "http", "middlewares"),
                objects: (traefik.extraObjects as Obj[] | undefined) ?? [],
                nginx: at(ingressNginxValues(valuesArgs(issuer)), "controller", "config", "hsts"),
            };
        };

        it("letsencrypt: every https entrypoint applies the HSTS middleware, ingress-nginx sends HSTS", () => {
            const { middlewares, objects, nginx } = hstsOf("letsencrypt");
            assert.deepEqual(middlewares, ["traefik-hsts@kubernetescrd"]);
            assert.deepEqual(objects.map((o) => [o.kind, at(o, "metadata", "name"), at(o, "spec", "headers", "stsSeconds")]), [["Middleware", "hsts", 31536000]]);
            assert.equal(nginx, "true");
        });

        for (const issuer of ["local-ca", "letsencrypt-staging"] as const) {
            it(`${issuer}: no HSTS on either controller (ingress-nginx would send it by default)`, () => {
                const { middlewares, objects, nginx } = hstsOf(issuer);
                assert.deepEqual(middlewares, []);
                assert.deepEqual(objects, []);
                assert.equal(nginx, "false");
            });
        }

        it("the stacks: dev (local CA) registers Traefik without HSTS; prod (letsencrypt) with it", async () => {
            // One after the other: the mocks hold one program run at a time.
            const dev = await runStackFileOk("dev");
            const prod = await prodInternal();
            assert.deepEqual(at(values(dev, "ingress"), "ports", "websecure", "http", "middlewares"), []);
            assert.equal(values(dev, "ingress").extraObjects, undefined);
            assert.deepEqual(at(values(prod, "ingress"), "ports", "websecure", "http", "middlewares"), ["traefik-hsts@kubernetescrd"]);
            assert.equal((values(prod, "ingress").extraObjects as Obj[]).length, 1);
        });
    });

    describe("fawkes:ingress.internal", () => {
        const apiAccess = { mode: "public", cidrs: ["198.51.100.0/24"] };
        const clusters: Readonly<Record<string, Obj>> = { eks: { provider: "eks", region: "eu-west-1", apiAccess }, aks: { provider: "aks", location: "westeurope", apiAccess }, kind: { provider: "kind" } };
        const cloudRaw = (ingress: unknown, provider = "eks"): RawConfig => ({
            cluster: JSON.stringify(clusters[provider]),
            ...(provider === "kind" ? {} : { gitops: JSON.stringify({ repoURL: "https://github.com/acme/fawkes.git" }) }),
            ingress: JSON.stringify(ingress),
        });
        const problemsOf = (raw: RawConfig) => {
            try {
                parseConfig(raw, "s");
            } catch (e) {
                assert.ok(e instanceof ConfigError, String(e));
                return e.problems;
            }
            assert.fail("expected a ConfigError");
        };

        it("is unset by default and parses with apps defaulting to both", () => {
            assert.equal(stackConfig("prod").ingress.internal, undefined);
            const parsed = parseConfig(cloudRaw({ internal: { sourceRanges: ["10.0.0.0/8"] } }), "s");
            assert.deepEqual(parsed.ingress, { controller: "traefik", internal: { apps: ["vault", "argo-cd"], sourceRanges: ["10.0.0.0/8"] } });
        });

        const bad: [string, unknown, string, string, RegExp][] = [
            ["on kind", { internal }, "kind", "fawkes:ingress.internal", /unset on kind/],
            ["with ingress-nginx", { controller: "ingress-nginx", internal }, "eks", "fawkes:ingress.internal", /traefik/],
            ["not an object", { internal: true }, "eks", "fawkes:ingress.internal", /sourceRanges/],
            ["an unknown app", { internal: { ...internal, apps: ["grafana"] } }, "eks", "fawkes:ingress.internal.apps", /vault, argo-cd/],
            ["no apps", { internal: { ...internal, apps: [] } }, "eks", "fawkes:ingress.internal.apps", /non-empty/],
            ["no source ranges", { internal: { apps: ["vault"] } }, "eks", "fawkes:ingress.internal.sourceRanges", /required/],
            ["a source range that is not a CIDR", { internal: { sourceRanges: ["10.0.0.0"] } }, "aks", "fawkes:ingress.internal.sourceRanges", /IPv4 CIDRs/],
            ["the whole internet", { internal: { sourceRanges: ["0.0.0.0/0"] } }, "eks", "fawkes:ingress.internal.sourceRanges", /narrower than \/0/],
            ["an unknown field", { internal: { ...internal, ports: [443] } }, "eks", "fawkes:ingress.internal.ports", /no such field/],
        ];
        for (const [what, ingress, provider, key, allowed] of bad) {
            it(`refuses ${what}, naming ${key}`, () => {
                const raw = cloudRaw(ingress, provider);
                const problem = problemsOf(raw).find((p) => p.key === key);
                assert.ok(problem, `a problem for ${key}: ${JSON.stringify(problemsOf(raw))}`);
                assert.match(problem.allowed, allowed);
            });
        }

        it("prod: Vault and Argo CD bind only to the internal entrypoint, behind an internal AWS load balancer with the source ranges", async () => {
            const run = await prodInternal();
            const traefik = values(run, "ingress");
            assert.deepEqual(at(traefik, "ports", internalEntrypoint, "expose"), { default: false, internal: true });
            assert.deepEqual(at(traefik, "ports", internalEntrypoint, "http", "middlewares"), ["traefik-hsts@kubernetescrd"]);
            assert.deepEqual(at(traefik, "service", "additionalServices", internalEntrypoint), {
                annotations: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" },
                spec: { type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/8"] },
            });
            // Every other Ingress stays on the public entrypoints: web and websecure are the defaults.
            assert.equal(at(traefik, "ports", "web", "asDefault"), true);
            assert.equal(at(traefik, "ports", "websecure", "asDefault"), true);
            assert.equal(at(values(run, "vault"), "server", "ingress", "annotations", entrypointsAnnotation), internalEntrypoint);
            assert.equal(at(values(run, "argo-cd"), "server", "ingress", "annotations", entrypointsAnnotation), internalEntrypoint);
        });

        it("aks: an internal Azure load balancer; only the listed apps leave the public entrypoint", () => {
            const aks = traefikValues(valuesArgs("letsencrypt", { cluster: "aks", internal: { apps: ["vault"], sourceRanges: ["10.224.0.0/12"] } }));
            assert.deepEqual(at(aks, "service", "additionalServices", internalEntrypoint, "annotations"), { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" });
            const onlyVault = { apps: ["vault" as const], sourceRanges: ["10.224.0.0/12"] };
            assert.deepEqual(internalRouteAnnotations(onlyVault, "vault"), { [entrypointsAnnotation]: internalEntrypoint });
            assert.deepEqual(internalRouteAnnotations(onlyVault, "argo-cd"), {});
            assert.deepEqual(internalRouteAnnotations(undefined, "vault"), {});
        });

        it("unset (dev): no internal entrypoint, and no core Ingress names an entrypoint", async () => {
            const run = await runStackFileOk("dev");
            assert.equal(at(values(run, "ingress"), "ports", internalEntrypoint), undefined);
            assert.equal(at(values(run, "ingress"), "service", "additionalServices"), undefined);
            assert.equal(at(values(run, "vault"), "server", "ingress", "annotations", entrypointsAnnotation), undefined);
            assert.equal(at(values(run, "argo-cd"), "server", "ingress", "annotations", entrypointsAnnotation), undefined);
        });

        it("renders with the pinned Traefik chart: the internal Service and entrypoint, the redirect and HSTS", async function () {
            if (process.env.FAWKES_CHART_MIRROR === undefined) {
                this.skip();
            }
            const chart = resolveChart(traefikApp.chart);
            const { objects } = await helmTemplate({
                chart,
                releaseName: "traefik",
                namespace: "traefik",
                values: traefikValues(valuesArgs("letsencrypt", { internal: { apps: ["vault"], sourceRanges: ["10.0.0.0/8"] } })),
                kubeVersion: "1.35.0",
                apiVersions: [],
            });
            const find = (kind: string, name: string) => objects.find((o: K8sObject) => o.kind === kind && o.metadata.name === name);
            const service = find("Service", "traefik-internal");
            assert.ok(service, "Service traefik-internal");
            assert.deepEqual(at(service, "spec", "loadBalancerSourceRanges"), ["10.0.0.0/8"]);
            assert.equal(at(service, "metadata", "annotations", "service.beta.kubernetes.io/aws-load-balancer-internal"), "true");
            assert.deepEqual((at(service, "spec", "ports") as Obj[]).map((p) => [p.port, p.targetPort]), [[443, internalEntrypoint]]);
            // The public Service does not carry the internal port.
            assert.deepEqual((at(find("Service", "traefik"), "spec", "ports") as Obj[]).map((p) => p.port), [80, 443]);
            const args = at(find("Deployment", "traefik"), "spec", "template", "spec", "containers") as Obj[];
            const flags = args[0].args as string[];
            for (const flag of [
                "--entryPoints.internal.address=:8444/tcp",
                "--entryPoints.web.http.redirections.entryPoint.to=:443",
                "--entryPoints.web.http.redirections.entryPoint.scheme=https",
                "--entryPoints.websecure.http.middlewares=traefik-hsts@kubernetescrd",
                "--entryPoints.internal.http.middlewares=traefik-hsts@kubernetescrd",
                "--entryPoints.internal.http.tls=true",
            ]) {
                assert.ok(flags.includes(flag), `${flag} in ${flags.join(" ")}`);
            }
            assert.ok(find("Middleware", "hsts"), "the HSTS Middleware");
        });
    });

    describe("every UI asks for a login: its own, or the ingress's basic auth", () => {
        const basicAuth = "basic auth";
        /**
         * Every app with a host (core, in any stack shape, and every Argo CD app), and who asks for a
         * login in front of its UI: the app itself (how; "in credentials" when the platform
         * generates that login), or the ingress controller (basic auth, ui-auth.ts). Reviewed: a new
         * app with a host fails here until it is in this table, with one or the other.
         */
        const uiLogins: Readonly<Record<string, string>> = {
            vault: "own: a Vault token (the vaultRootToken output on a dev stack, the init's root token on HA)",
            "argo-cd": "own: admin, in credentials",
            git: "own: Gitea's admin, in credentials",
            backstage: "own: its sign-in page (guest on kind; elsewhere the identity provider a team configures)",
            jenkins: "own: admin, in credentials",
            sonarqube: "own: admin, in credentials",
            harbor: "own: admin, in credentials",
            grafana: "own: admin, in credentials",
            gitea: "own: gitea-admin, in credentials",
            kargo: "own: admin, in credentials",
            "opensearch-dashboards": "own: the OpenSearch security plugin's admin, in credentials",
            keycloak: "own: the master realm's admin, in credentials",
            devlake: basicAuth,
            thanos: basicAuth,
            pyroscope: basicAuth,
        };
        const contexts = (["kind", "eks", "aks"] as const).flatMap((provider) =>
            (["traefik", "ingress-nginx"] as const).flatMap((ingressController) => [true, false].map((gitServer) => ({ provider, ha: provider !== "kind", ingressController, gitServer }))),
        );
        const withHost = (): CatalogApp[] => {
            const apps = new Map<string, CatalogApp>();
            for (const app of [...contexts.flatMap((c) => coreAddons(c)), ...gitopsApps()].filter((a) => a.host !== undefined)) {
                apps.set(app.name, app);
            }
            return [...apps.values()];
        };
        const behindBasicAuth = gitopsApps().filter((a) => uiLogins[a.name] === basicAuth);

        it("the table names every app with a host, and each is marked as the table says", () => {
            const apps = withHost();
            assert.deepEqual(apps.map((a) => a.name).sort(), Object.keys(uiLogins).sort());
            for (const app of apps) {
                const kind = uiLogins[app.name];
                assert.equal(hasUiAuth(app), kind === basicAuth, `${app.name}: ${kind}`);
                // A login the platform generates is in the credentials output; the others need none of its.
                assert.equal(app.login !== undefined, kind === basicAuth || kind.endsWith("in credentials"), `${app.name}: ${kind}`);
            }
        });

        /** The app's chart values in the tree, and its own objects, with the app on and the given controller. */
        const treeOf = (app: GitOpsApp, controller: "traefik" | "ingress-nginx") => {
            const config = stackConfig("dev", { ...stackFileConfig("dev"), "fawkes:apps": { [app.name]: true }, "fawkes:ingress": { controller } });
            const tree = platformTree(config);
            const values = chartSource(tree.get(`apps/${app.name}.yaml`)!).helm.valuesObject;
            const own = [...tree].filter(([file]) => file.startsWith(`apps/${app.name}/`)).map(([, m]) => m);
            return { config, values, own };
        };

        it("basic auth: the Secret comes from the app's login in Vault, the htpasswd line (bcrypt) the platform generates beside the password", () => {
            for (const app of behindBasicAuth) {
                const { own } = treeOf(app, "traefik");
                const secret = own.find((m) => m.kind === "ExternalSecret" && at(m, "metadata", "name") === uiAuthName(app.name));
                assert.ok(secret, `${app.name}: ExternalSecret ${uiAuthName(app.name)}`);
                assert.equal(at(secret, "metadata", "namespace"), app.namespace);
                assert.deepEqual(
                    (at(secret, "spec", "data") as Obj[]).map((d) => [d.secretKey, at(d, "remoteRef", "key"), at(d, "remoteRef", "property")]),
                    [
                        ["users", app.login!.vaultPath, "htpasswd"],
                        ["auth", app.login!.vaultPath, "htpasswd"],
                    ],
                    app.name,
                );
                const spec = platformSecretSpecs.find((s) => s.path === app.login!.vaultPath);
                assert.deepEqual(spec?.fixed, { username: "admin" }, app.name);
                assert.deepEqual(spec?.fields, [{ field: "password", length: 24 }, { field: "htpasswd", bcryptOf: "password", prefix: "admin:" }], app.name);
            }
        });

        it("basic auth on Traefik: the app's own objects hold the basicAuth Middleware over that Secret; on ingress-nginx there is none", () => {
            for (const app of behindBasicAuth) {
                const middlewares = treeOf(app, "traefik").own.filter((m) => m.kind === "Middleware");
                assert.deepEqual(
                    middlewares.map((m) => [m.apiVersion, at(m, "metadata", "name"), at(m, "metadata", "namespace"), at(m, "spec")]),
                    [["traefik.io/v1alpha1", uiAuthName(app.name), app.namespace, { basicAuth: { secret: uiAuthName(app.name), realm: app.name } }]],
                    app.name,
                );
                assert.deepEqual(treeOf(app, "ingress-nginx").own.filter((m) => m.kind === "Middleware"), [], app.name);
                // Its project admits the Middleware (its Application syncs it with the ExternalSecrets).
                const { config } = treeOf(app, "traefik");
                const project = appProjects(config).find((p) => at(p, "metadata", "name") === app.name)!;
                assert.ok((at(project, "spec", "namespaceResourceWhitelist") as Obj[]).some((k) => k.group === "traefik.io" && k.kind === "Middleware"), app.name);
            }
        });

        const controllerAnnotations = (app: GitOpsApp): Record<"traefik" | "ingress-nginx", Record<string, string>> => ({
            traefik: { "traefik.ingress.kubernetes.io/router.middlewares": `${app.namespace}-${uiAuthName(app.name)}@kubernetescrd` },
            "ingress-nginx": {
                "nginx.ingress.kubernetes.io/auth-type": "basic",
                "nginx.ingress.kubernetes.io/auth-secret": uiAuthName(app.name),
                "nginx.ingress.kubernetes.io/auth-secret-type": "auth-file",
                "nginx.ingress.kubernetes.io/auth-realm": app.name,
            },
        });

        it("basic auth: every Ingress the pinned chart renders carries the controller's auth annotations", async function () {
            if (process.env.FAWKES_CHART_MIRROR === undefined) {
                this.skip();
            }
            const cases = behindBasicAuth.flatMap((app) => (["traefik", "ingress-nginx"] as const).map((controller) => ({ app, controller })));
            const rendered = await Promise.all(
                cases.map(({ app, controller }) =>
                    helmTemplate({ chart: resolveChart(app.chart), releaseName: app.name, namespace: app.namespace, values: treeOf(app, controller).values, kubeVersion: "1.35.0", apiVersions: [] }),
                ),
            );
            cases.forEach(({ app, controller }, i) => {
                const ingresses = rendered[i].objects.filter((o: K8sObject) => o.kind === "Ingress");
                assert.ok(ingresses.length > 0, `${app.name} (${controller}) renders an Ingress`);
                for (const ingress of ingresses) {
                    const annotations = ingress.metadata.annotations ?? {};
                    for (const [key, value] of Object.entries(controllerAnnotations(app)[controller])) {
                        assert.equal(annotations[key], value, `${app.name} (${controller}): Ingress ${ingress.metadata.name} ${key}`);
                    }
                }
            });
        });

        it("the basic-auth logins are in the credentials output, and secret", async () => {
            const dev = await runStackFileOk("dev", (config) => {
                config["fawkes:apps"] = Object.fromEntries(behindBasicAuth.map((a) => [a.name, true]));
            });
            const credentials = dev.outputs.credentials as Record<string, { url: string; username: string; password: string }>;
            for (const app of behindBasicAuth) {
                assert.equal(credentials[app.name]?.username, "admin", app.name);
                assert.match(credentials[app.name].url, new RegExp(`^https://${app.host}\\.`), app.name);
                assert.ok(credentials[app.name].password.length >= 24, app.name);
            }
            assert.ok(dev.secretOutputs.includes("credentials"));
        });
    });
});
