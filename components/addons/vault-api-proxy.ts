// How the Pulumi Vault provider reaches Vault: through the Kubernetes API server's service
// proxy (`<api server>/api/v1/namespaces/vault/services/https:vault-active:8200/proxy`), the one
// path every `pulumi up` already has, since it is how the program reaches the cluster at all
// (fawkes:cluster.apiAccess). No public ingress, no port-forward, no VPN. Facts this rests on,
// from the sources:
// - Vault's Go API client joins the address's path before every request path (api/client.go
//   NewRequest: path.Join(addr.Path, requestPath)), and sends LIST as GET ?list=true;
// - the provider sends its `headers` on every request; the API server authenticates the
//   `Authorization: Bearer` one, deletes it (endpoints/filters/authentication.go) and forwards
//   the others, X-Vault-Token included, to the Service;
// - the API server dials an https: Service port without verifying its certificate
//   (CreateProxyTransport: InsecureSkipVerify), so the provider's CA file is the cluster's
//   CA, which verifies the API server; Vault's own CA protects the in-cluster clients;
// - RBAC sees a proxy request as verb get/create/update/delete on `services/proxy` with the
//   name `<scheme>:<service>:<port>` exactly as the URL writes it.
// The credential is a token of a service account that may do only that, on that one name: it
// can reach Vault's API and nothing else of the cluster, and Vault still wants its own token.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { VaultApiService } from "./vault";

/** The proxied Service as the API server's URL (and RBAC) names it: `<scheme>:<name>:<port>`. */
export const proxyTarget = (s: VaultApiService) => `${s.scheme}:${s.name}:${s.port}`;

/** The path under the API server's URL that forwards to the Service. */
export const serviceProxyPath = (s: VaultApiService) => `/api/v1/namespaces/${s.namespace}/services/${proxyTarget(s)}/proxy`;

/**
 * The RBAC verbs of the HTTP methods Vault's client and the provider send (the API server's
 * request info: GET → get, POST → create, PUT → update, DELETE → delete; LIST travels as GET).
 */
export const proxyVerbs = ["get", "create", "update", "delete"] as const;

/** The service account the provider's requests pass the API server as. */
export const proxyAccountName = "pulumi-vault-config";

/** The API server of a kubeconfig's current context: its URL and the CA (PEM) that verifies it. */
export function apiServerOf(kubeconfig: string | undefined): { server: string; caPem: string } | undefined {
    // Every cluster backend returns a kubeconfig; an empty one appears only under a mock harness
    // that answers with nothing, and must not stop the program there.
    if (kubeconfig === undefined || kubeconfig.trim() === "") {
        return undefined;
    }
    type Named<T> = { name: string } & T;
    const doc = parse(kubeconfig) as {
        "current-context"?: string;
        contexts?: Named<{ context: { cluster: string } }>[];
        clusters?: Named<{ cluster: { server: string; "certificate-authority-data"?: string } }>[];
    };
    const context = doc.contexts?.find((c) => c.name === doc["current-context"]) ?? doc.contexts?.[0];
    const cluster = doc.clusters?.find((c) => c.name === context?.context.cluster)?.cluster;
    if (cluster?.server === undefined || cluster["certificate-authority-data"] === undefined) {
        throw new Error("the cluster's kubeconfig names no API server with certificate-authority-data; the Vault provider reaches Vault through that API server and must verify it");
    }
    return { server: cluster.server.replace(/\/+$/, ""), caPem: Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8") };
}

/**
 * Writes `pem` where the Vault provider reads its CA (it takes only a file) and returns the
 * path. The program writes it on every run, in an apply the provider's inputs wait on, so a
 * later `pulumi up` on any machine has it; `pulumi destroy` and `pulumi refresh` do not run
 * the program: they need `--run-program` (README). The directory belongs to this user alone
 * (another user could otherwise swap the CA and read the Vault token off the wire); the name
 * carries the stack and a digest of the content, so stacks and clusters never share a file and
 * concurrent runs write the same bytes. The write is atomic (a rename).
 */
export function writeCaFile(stack: string, pem: string, root: string = os.tmpdir()): string {
    const owner = process.getuid?.() ?? os.userInfo().username;
    const dir = path.join(root, `fawkes-${owner}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.lstatSync(dir);
    const foreign = process.getuid !== undefined && (stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0);
    if (!stat.isDirectory() || foreign) {
        throw new Error(`${dir} is not a directory only this user can write; remove it and run again`);
    }
    const digest = createHash("sha256").update(pem).digest("hex").slice(0, 16);
    const file = path.join(dir, `${stack}-kube-apiserver-ca-${digest}.pem`);
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, pem, { mode: 0o600 });
    fs.renameSync(partial, file);
    return file;
}

/** What the Vault provider is configured with to reach Vault through the API server. */
export interface VaultConnection {
    readonly address: pulumi.Output<string>;
    /** Bearer token of the proxy account (secret). */
    readonly headers: pulumi.Output<{ name: string; value: string }[]>;
    readonly caCertFile: pulumi.Output<string>;
}

export interface VaultApiProxyArgs {
    readonly service: VaultApiService;
    /** The tenancy layer's Namespace of the service (its name as an output). */
    readonly namespace: pulumi.Input<string>;
    /** The kubeconfig the program reaches the cluster with: its API server and CA. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly stack: string;
    readonly provider: k8s.Provider;
}

export class VaultApiProxy extends pulumi.ComponentResource {
    readonly connection: VaultConnection;
    /** The Role binding: a request before it exists is refused. */
    readonly grant: k8s.rbac.v1.RoleBinding;

    constructor(name: string, args: VaultApiProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:addons:VaultApiProxy", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const metadata = { name: proxyAccountName, namespace: args.namespace };

        const account = new k8s.core.v1.ServiceAccount(name, { metadata, automountServiceAccountToken: false }, child);
        const role = new k8s.rbac.v1.Role(
            name,
            { metadata, rules: [{ apiGroups: [""], resources: ["services/proxy"], resourceNames: [proxyTarget(args.service)], verbs: [...proxyVerbs] }] },
            child,
        );
        this.grant = new k8s.rbac.v1.RoleBinding(
            name,
            {
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace }],
            },
            child,
        );
        // A long-lived token Secret: pulumi-kubernetes waits until the token controller has
        // filled it (its Secret await), and keeps `data` secret. It authenticates only as the
        // account above; the token controller needs the account first.
        const tokenSecret = new k8s.core.v1.Secret(
            `${name}-token`,
            {
                metadata: { name: `${proxyAccountName}-token`, namespace: args.namespace, annotations: { "kubernetes.io/service-account.name": proxyAccountName } },
                type: "kubernetes.io/service-account-token",
            },
            { ...child, dependsOn: [account] },
        );
        // On a cluster the Secret is filled before pulumi-kubernetes returns it. A harness that
        // echoes inputs has no token: the provider then sends none, and the API server would
        // answer 403 for system:anonymous, which names the problem.
        const token = tokenSecret.data.apply((data) => (data?.token ? Buffer.from(data.token, "base64").toString("utf8") : undefined));

        const apiServer = pulumi.unsecret(args.kubeconfig.apply(apiServerOf));
        this.connection = {
            address: apiServer.apply((a) => (a === undefined ? "" : `${a.server}${serviceProxyPath(args.service)}`)),
            headers: pulumi.secret(token.apply((t) => (t === undefined ? [] : [{ name: "Authorization", value: `Bearer ${t}` }]))),
            caCertFile: apiServer.apply((a) => (a === undefined ? "" : writeCaFile(args.stack, a.caPem))),
        };
        this.registerOutputs({});
    }
}
