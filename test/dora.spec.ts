import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { gitopsApps } from "../components/catalog";
import { devlakeApiUrl, devlakeWiring, doraTriggers } from "../components/gitops/dora";
import { setupJobs, sonarqubeUrl } from "../components/gitops/setup-jobs";
import { ofType, runStackFileOk } from "../scripts/lib/harness";

const devlake = gitopsApps().find((a) => a.name === "devlake")!;

interface Notifications {
    notifiers: Record<string, string>;
    templates: Record<string, string>;
    triggers: Record<string, string>;
    subscriptions: { recipients: string[]; triggers: string[] }[];
}

describe("DORA wiring: Argo CD → DevLake", function () {
    this.timeout(60_000);

    it("sends every sync and every degraded app to DevLake's in-cluster webhook", async () => {
        const dev = await runStackFileOk("dev");
        const argo = ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "argo-cd")!;
        const notifications = (argo.inputs.values as { notifications: Notifications }).notifications;
        const service = parse(notifications.notifiers["service.webhook.devlake"]) as { url: string; headers: { name: string; value: string }[] };
        assert.equal(service.url, `http://devlake-lake.devlake.svc.cluster.local:8080/plugins/webhook/connections/by-name/${devlakeWiring.connection}`);
        assert.deepEqual(service.headers, [{ name: "Content-Type", value: "application/json" }]);

        // Every trigger exists and sends a template that posts to the webhook.
        assert.deepEqual(notifications.subscriptions, [{ recipients: ["devlake"], triggers: [...doraTriggers] }]);
        const paths: string[] = [];
        for (const name of doraTriggers) {
            const [rule] = parse(notifications.triggers[`trigger.${name}`]) as { when: string; oncePer: string; send: string[] }[];
            assert.ok(rule.when && rule.oncePer, name);
            for (const template of rule.send) {
                const webhook = (parse(notifications.templates[`template.${template}`]) as { webhook: { devlake: { method: string; path: string; body: string } } }).webhook.devlake;
                assert.equal(webhook.method, "POST", template);
                assert.match(webhook.body, /^\{/m, template);
                paths.push(webhook.path);
            }
        }
        assert.deepEqual([...new Set(paths)].sort(), ["/deployments", "/issues"]);
        const deployment = (parse(notifications.templates["template.devlake-deployment"]) as { webhook: { devlake: { body: string } } }).webhook.devlake.body;
        // The fields DevLake requires of a deployment and of each of its commits.
        for (const field of ["id", "startedDate", "finishedDate", "deploymentCommits", "repoUrl", "commitSha", "result", "environment"]) {
            assert.match(deployment, new RegExp(`"${field}":`), field);
        }
    });

    it("sends nothing when the stack does not run DevLake", async () => {
        const without = await runStackFileOk("dev", (c) => (c["fawkes:apps"] = { devlake: false }));
        const argo = ofType(without, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "argo-cd")!;
        const notifications = (argo.inputs.values as { notifications: Partial<Notifications> }).notifications;
        assert.equal(notifications.notifiers, undefined);
        assert.equal(notifications.triggers, undefined);
    });

    describe("the setup Job's script, against a stand-in DevLake API", () => {
        const script = (api: string) => {
            const [job] = setupJobs(devlake) as { spec: { template: { spec: { containers: { command: string[] }[] } } } }[];
            const command = job.spec.template.spec.containers[0].command;
            assert.equal(command[0], "/bin/sh");
            return command[2].replace(devlakeApiUrl(devlake), api);
        };

        it("creates the webhook connection and the DORA project once, and changes nothing on the next run", async () => {
            const api = await fakeDevLake();
            try {
                const first = await runScript(script(api.url));
                assert.equal(first.code, 0, first.output);
                assert.deepEqual(api.writes(), [
                    "POST /plugins/webhook/connections",
                    "POST /projects",
                    `PATCH /blueprints/3 {"enable":true,"cronConfig":"0 * * * *","connections":[{"pluginName":"webhook","connectionId":7,"scopes":[]}]}`,
                    "POST /blueprints/3/trigger",
                ]);
                assert.ok(!first.output.includes(api.apiKey), "the connection's API key is never printed");
                assert.match(first.output, /connection argocd \(7\) in project fawkes \(blueprint 3\)/);

                const second = await runScript(script(api.url));
                assert.equal(second.code, 0, second.output);
                assert.equal(api.writes().length, 4, "idempotent: the second run writes nothing");
            } finally {
                api.close();
            }
        });

        it("fails the Job, without writing, when DevLake's answer has no connection id", async () => {
            const api = await fakeDevLake({ connectionWithoutId: true });
            try {
                const run = await runScript(script(api.url));
                assert.notEqual(run.code, 0);
                assert.match(run.output, /no id in DevLake's answer/);
                assert.ok(!api.writes().some((w) => w.startsWith("PATCH")));
            } finally {
                api.close();
            }
        });

        it("fails the Job when DevLake refuses the project", async () => {
            const api = await fakeDevLake({ refuseProjects: true });
            try {
                const run = await runScript(script(api.url));
                assert.notEqual(run.code, 0);
                assert.match(run.output, /project fawkes: HTTP 404/);
            } finally {
                api.close();
            }
        });
    });
});

describe("SonarQube's admin password Job", function () {
    this.timeout(30_000);
    const sonarqube = gitopsApps().find((a) => a.name === "sonarqube")!;
    const script = (api: string) => {
        const [job] = setupJobs(sonarqube) as { spec: { template: { spec: { containers: { command: string[]; env: { name: string }[] }[] } } } }[];
        const [container] = job.spec.template.spec.containers;
        assert.deepEqual(container.env.map((e) => e.name), ["ADMIN_PASSWORD"]);
        return container.command[2].replace(sonarqubeUrl(sonarqube), api);
    };

    it("replaces the default password once, then leaves it alone", async () => {
        let password = "admin";
        const changes: string[] = [];
        const server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (chunk) => (body += chunk));
            req.on("end", () => {
                if (req.url === "/api/system/status") {
                    res.end(JSON.stringify({ status: "UP" }));
                    return;
                }
                const auth = Buffer.from((req.headers.authorization ?? "").replace("Basic ", ""), "base64").toString();
                if (req.method === "POST" && req.url === "/api/users/change_password" && auth === `admin:${password}`) {
                    const form = new URLSearchParams(body);
                    password = form.get("password")!;
                    changes.push(`${form.get("login")}:${form.get("previousPassword")}`);
                    res.writeHead(204).end();
                    return;
                }
                res.writeHead(401).end();
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        try {
            const first = await runScript(script(url), { ADMIN_PASSWORD: "from-vault-123" });
            assert.equal(first.code, 0, first.output);
            assert.equal(password, "from-vault-123");
            const second = await runScript(script(url), { ADMIN_PASSWORD: "from-vault-123" });
            assert.equal(second.code, 0, second.output);
            assert.match(second.output, /already changed/);
            assert.deepEqual(changes, ["admin:admin"]);
        } finally {
            server.close();
        }
    });
});

/**
 * The slice of DevLake's REST API the Job uses. Response shapes follow DevLake v1.0.3's
 * models (a connection serialises name then id; a project embeds its blueprint, whose id is
 * followed by createdAt), as read from its source: not checked against a running DevLake.
 */
async function fakeDevLake(options: { refuseProjects?: boolean; connectionWithoutId?: boolean } = {}) {
    const apiKey = "secret-api-key-0123456789";
    const log: string[] = [];
    let connection: { name: string; id: number } | undefined;
    let project: { name: string } | undefined;
    let blueprintConnections: unknown[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => {
            const send = (status: number, value: unknown) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(value));
            };
            const route = `${req.method} ${req.url}`;
            if (req.method !== "GET") {
                log.push(req.method === "PATCH" ? `${route} ${body}` : route);
            }
            if (route === "GET /ready") return send(200, { success: true, message: "ready" });
            if (route === `GET /plugins/webhook/connections/by-name/${devlakeWiring.connection}`) {
                if (!connection) return send(404, { message: "not found" });
                return send(200, options.connectionWithoutId ? { name: connection.name } : { ...connection, createdAt: "2026-11-25T00:00:00Z" });
            }
            if (route === "POST /plugins/webhook/connections") {
                connection = { name: (JSON.parse(body) as { name: string }).name, id: 7 };
                return send(200, { ...connection, apiKey: { apiKey } });
            }
            if (route === `GET /projects/${devlakeWiring.project}`) {
                if (!project) return send(404, { message: "not found" });
                return send(200, { ...project, blueprint: { id: 3, createdAt: "2026-11-25T00:00:00Z", name: "fawkes-Blueprint", connections: blueprintConnections } });
            }
            if (route === "POST /projects" && !options.refuseProjects) {
                project = { name: (JSON.parse(body) as { name: string }).name };
                return send(201, project);
            }
            if (route === "PATCH /blueprints/3") {
                blueprintConnections = (JSON.parse(body) as { connections: unknown[] }).connections;
                return send(200, { id: 3 });
            }
            if (route === "POST /blueprints/3/trigger") return send(200, { id: 1 });
            return send(404, { message: `no route ${route}` });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, apiKey, writes: () => [...log], close: () => server.close() };
}

function runScript(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
    // The Job mounts an empty /tmp; here each run gets its own directory.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fawkes-setup-"));
    return new Promise((resolve) => {
        const child = spawn("/bin/sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, TMPDIR: tmp, ...env } });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (code) => {
            fs.rmSync(tmp, { recursive: true, force: true });
            resolve({ code, output });
        });
    });
}
