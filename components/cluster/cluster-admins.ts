// Cluster access that is declared, not implied: fawkes:cluster.admins. The creator's
// bootstrap grant stays the only implicit one; a configured principal equal to the creator
// would collide with it (EKS refuses a second access entry for one principal), so the run
// stops with a message instead. Nothing here feeds a resource from who runs `pulumi up`, so
// previews by different people show no churn.

/** The IAM principal behind a caller ARN: an assumed-role session maps to its role's name. */
export function callerPrincipal(callerArn: string): { readonly kind: "role" | "user" | "other"; readonly name: string } {
    const session = /^arn:aws(?:-[a-z]+)*:sts::\d{12}:assumed-role\/([^/]+)\//.exec(callerArn);
    if (session !== null) {
        return { kind: "role", name: session[1] };
    }
    const iam = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:(role|user)\/(?:.*\/)?([^/]+)$/.exec(callerArn);
    return iam === null ? { kind: "other", name: callerArn } : { kind: iam[1] as "role" | "user", name: iam[2] };
}

/** The configured admin that is the creator, if any (roles compared by name: a session ARN has no path). */
export function adminThatIsCreator(admins: readonly string[], callerArn: string | undefined): string | undefined {
    if (callerArn === undefined || callerArn === "") {
        return undefined;
    }
    const caller = callerPrincipal(callerArn);
    return admins.find((arn) => {
        const admin = callerPrincipal(arn);
        return admin.kind === caller.kind && admin.name === caller.name && arn.split(":")[4] === callerArn.split(":")[4];
    });
}

export function creatorCollision(admin: string, callerArn: string): string {
    return (
        `fawkes:cluster.admins lists ${admin}, which is who runs this update (${callerArn}): the cluster creator already gets ` +
        "cluster-admin through EKS's bootstrap grant, and a second access entry for the same principal collides. Remove it from " +
        "fawkes:cluster.admins, or run `pulumi up` as another principal."
    );
}
