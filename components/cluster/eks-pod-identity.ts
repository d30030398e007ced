// Trust policies for IAM roles that EKS Pod Identity assumes on behalf of one service account.
// No SDK import: the EKS cluster and Vault's unseal component share it, and tests read it.

/** The service principal of EKS Pod Identity (it calls AssumeRole + TagSession). */
export const podIdentityPrincipal = "pods.eks.amazonaws.com";

/** The account ID inside an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`). */
export function arnAccount(arn: string): string {
    const account = arn.split(":")[4] ?? "";
    if (!/^\d{12}$/.test(account)) {
        throw new Error(`cannot read an AWS account ID from ARN "${arn}": expected arn:<partition>:<service>:<region>:<12-digit account>:<resource>`);
    }
    return account;
}

/**
 * A role only this cluster's Pod Identity may assume, and only for `namespace/serviceAccount`.
 *
 * Without conditions, any Pod Identity association in any cluster of the account (anyone
 * who may call eks:CreatePodIdentityAssociation with iam:PassRole) could hand the role to a
 * pod of their choosing. The conditions pin:
 * - `aws:SourceAccount`: the account the calling EKS service acts for;
 * - `aws:RequestTag/eks-cluster-arn`: the cluster. AWS documents the session tags Pod
 *   Identity sends (eks-cluster-arn, kubernetes-namespace, kubernetes-service-account, ...)
 *   as the keys to restrict a Pod Identity role with (EKS User Guide, "Create IAM role with
 *   trust policy required by EKS Pod Identity"). `aws:SourceArn` is not used: AWS does not
 *   document what Pod Identity puts there (examples in the wild show the association's ARN,
 *   `...:podidentityassociation/<cluster>/<id>`, not the cluster's), and a condition on a
 *   key with another value denies every AssumeRole — for the VPC CNI that means no node
 *   ever becomes Ready;
 * - namespace and service account, so another association in the same cluster cannot reuse it.
 */
export function podIdentityTrustPolicy(clusterArn: string | undefined, namespace: string, serviceAccount: string): string {
    // EKS always returns the cluster's ARN; only mocks that echo inputs leave it out. The
    // policy then fails closed (nothing matches the empty values) instead of failing the run.
    const arn = clusterArn ?? "";
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EksPodIdentityForOneServiceAccount",
                Effect: "Allow",
                Principal: { Service: podIdentityPrincipal },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": arn === "" ? "" : arnAccount(arn),
                        "aws:RequestTag/eks-cluster-arn": arn,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": serviceAccount,
                    },
                },
            },
        ],
    });
}
