// fawkes:cluster.admins: declared cluster access (EKS access entries with the cluster-admin
// access policy, AKS RBAC Cluster Admin role assignments), the creator's bootstrap grant the
// only implicit one, and the principals refused with a message.

import * as assert from "node:assert/strict";
import { adminThatIsCreator, callerPrincipal } from "../components/cluster/cluster-admins";
import { asConfigError, ofType, runStackFile, runStackFileOk, type StackConfig } from "../scripts/lib/harness";

const withAdmins = (admins: unknown) => (c: StackConfig) => {
    c["fawkes:cluster"] = { ...(c["fawkes:cluster"] as object), admins };
};
const teamRole = "arn:aws:iam::123456789012:role/platform/platform-admins";

describe("cluster admins (fawkes:cluster.admins)", function () {
    this.timeout(60_000);

    it("EKS: one access entry with the cluster-admin access policy per admin, and none by default", async () => {
        const run = await runStackFileOk("prod", withAdmins([teamRole, "arn:aws:iam::123456789012:user/alice"]));
        const entries = ofType(run, "aws:eks/accessEntry:AccessEntry");
        assert.deepEqual(entries.map((e) => e.inputs.principalArn), [teamRole, "arn:aws:iam::123456789012:user/alice"]);
        assert.ok(entries.every((e) => e.inputs.type === "STANDARD"));
        const policies = ofType(run, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        assert.deepEqual(
            policies.map((p) => [p.inputs.principalArn, p.inputs.policyArn, p.inputs.accessScope]),
            entries.map((e) => [e.inputs.principalArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", { type: "cluster" }]),
        );
        const cluster = ofType(run, "aws:eks/cluster:Cluster")[0];
        assert.deepEqual(cluster.inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        const shipped = await runStackFileOk("prod");
        assert.equal(ofType(shipped, "aws:eks/accessEntry:AccessEntry").length, 0);
    });

    it("EKS: refuses an assumed-role session ARN with the role ARN to use, and malformed or repeated principals", async () => {
        const session = await runStackFile("prod", withAdmins(["arn:aws:sts::123456789012:assumed-role/platform-admins/alice@acme.io"]));
        const problem = asConfigError(session.error)?.problems.find((p) => p.key === "fawkes:cluster.admins[0]");
        assert.ok(problem, String(session.error));
        assert.match(problem.allowed, /arn:aws:iam::123456789012:role\/platform-admins/);
        assert.equal(session.resources.length, 0);
        for (const bad of [["not-an-arn"], [teamRole, teamRole], "arn:aws:iam::123456789012:role/x"]) {
            const run = await runStackFile("prod", withAdmins(bad));
            assert.ok(asConfigError(run.error)?.problems.some((p) => p.key.startsWith("fawkes:cluster.admins")), JSON.stringify(bad));
        }
    });

    it("EKS: a configured principal equal to the creator stops the run with a message", async () => {
        // The mocks' caller is a session of role fawkes-deployer.
        const run = await runStackFile("prod", withAdmins(["arn:aws:iam::123456789012:role/fawkes-deployer"]));
        assert.ok(run.error, "the run should fail");
        assert.match(run.error.message, /fawkes:cluster\.admins lists arn:aws:iam::123456789012:role\/fawkes-deployer, which is who runs this update/);
        assert.match(run.error.message, /bootstrap grant/);
    });

    it("matches the creator by role name (a session ARN has no path) within the account only", () => {
        assert.deepEqual(callerPrincipal("arn:aws:sts::123456789012:assumed-role/deploy/s"), { kind: "role", name: "deploy" });
        assert.deepEqual(callerPrincipal("arn:aws:iam::123456789012:role/team/deploy"), { kind: "role", name: "deploy" });
        assert.equal(adminThatIsCreator(["arn:aws:iam::123456789012:role/team/deploy"], "arn:aws:sts::123456789012:assumed-role/deploy/s"), "arn:aws:iam::123456789012:role/team/deploy");
        assert.equal(adminThatIsCreator(["arn:aws:iam::999999999999:role/deploy"], "arn:aws:sts::123456789012:assumed-role/deploy/s"), undefined);
        assert.equal(adminThatIsCreator(["arn:aws:iam::123456789012:user/deploy"], "arn:aws:sts::123456789012:assumed-role/deploy/s"), undefined);
        assert.equal(adminThatIsCreator([teamRole], undefined), undefined);
    });

    it("AKS: an AKS RBAC Cluster Admin assignment per Entra object id, only with Azure RBAC (ha), never for the bootstrap principal, whose grant does not follow who runs", async () => {
        const admin = "11111111-2222-3333-4444-555555555555";
        const run = await runStackFileOk("prod-aks", withAdmins([admin]));
        const assignments = ofType(run, "azure-native:authorization:RoleAssignment").filter((r) => r.name.includes("-admin-"));
        assert.deepEqual(assignments.map((a) => a.inputs.principalId), [admin]);
        assert.match(String(assignments[0].inputs.roleDefinitionId), /roleDefinitions\/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b$/);
        const deployer = await runStackFile("prod-aks", withAdmins(["00000000-0000-0000-0000-0000000000b1"]));
        assert.match(String(deployer.error), /which holds the bootstrap grant/);
        // The bootstrap grant stays with the creator: a run by another principal does not replace it.
        const bootstrap = ofType(run, "azure-native:authorization:RoleAssignment").find((r) => r.name.endsWith("-deployer-admin"))!;
        assert.equal(bootstrap.inputs.principalId, "00000000-0000-0000-0000-0000000000b1");
        assert.deepEqual(bootstrap.ignoreChanges, ["principalId"]);
        const noHa = await runStackFile("prod-aks", (c) => {
            withAdmins([admin])(c);
            c["fawkes:ha"] = false;
        });
        assert.ok(asConfigError(noHa.error)?.problems.some((p) => p.key === "fawkes:cluster.admins"), String(noHa.error));
        const notGuid = await runStackFile("prod-aks", withAdmins(["alice@acme.io"]));
        assert.ok(asConfigError(notGuid.error)?.problems.some((p) => p.key === "fawkes:cluster.admins"));
    });
});
