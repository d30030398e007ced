// An EKS cluster from plain @pulumi/aws resources (not @pulumi/eks or awsx: their children
// are invisible to mocks and to CrossGuard's per-resource checks, and the budget needs to
// see every node group).

import * as ec2 from "@pulumi/aws/ec2";
import * as eks from "@pulumi/aws/eks";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { eksVpcCidr, type EksClusterConfig, type PoolConfig } from "../config-types";
import { adminThatIsCreator, creatorCollision } from "./cluster-admins";
import { podIdentityTrustPolicy } from "./eks-pod-identity";
import { allowedCidrs, type ApiReach, type CloudContext, cloudNodePools, type NodePool, type PlatformCluster, poolLabels, publicAccessCidrs } from "./types";

export interface EksClusterArgs {
    readonly config: EksClusterConfig;
    readonly protectStateful: boolean;
    readonly ha: boolean;
}

/** Private subnets are large because the VPC CNI gives every pod a VPC address. */
const privateSubnetCidr = (i: number) => `10.0.${i * 32}.0/19`;
const publicSubnetCidr = (i: number) => `10.0.${96 + i}.0/24`;
const maxZones = 3;

const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;

/**
 * What the node role carries: joining the cluster (which includes
 * eks-auth:AssumeRoleForPodIdentity, the Pod Identity agent's one call) and pulling images.
 * Not AmazonEKS_CNI_Policy: that one may create, attach and delete ENIs and assign IPs in the
 * whole VPC, and on the node role every process that reaches the node's credentials holds it.
 * The VPC CNI gets it through Pod Identity instead (createPodNetwork).
 */
export const nodeRolePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"] as const;

/**
 * IMDSv2 only, answered one network hop away: the node itself and hostNetwork pods (the VPC
 * CNI, kube-proxy, the Pod Identity agent) reach it, while a pod in its own network namespace
 * is one hop further and its PUT for a session token dies on the way back. So a pod (a CI
 * build, a compromised app) cannot take the node role's credentials.
 */
export const nodeMetadataOptions = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 } as const;

function assumeRolePolicy(service: string, actions: string[] = ["sts:AssumeRole"]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }],
    });
}

/** EKS's managed access policy equal to cluster-admin. */
const clusterAdminPolicyArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

export class EksCluster extends pulumi.ComponentResource implements PlatformCluster {
    readonly provider: k8s.Provider;
    readonly pools: readonly NodePool[];
    readonly kubeconfig: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly cloud: CloudContext;
    readonly apiReach: ApiReach;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:cluster:EksCluster", name, {}, opts);
        const { config, protectStateful, ha } = args;
        const aws = new AwsProvider(`${name}-aws`, { region: config.region }, { parent: this });
        const child = { parent: this, provider: aws };
        const stateful = { ...child, protect: protectStateful };
        const tags = { "fawkes.dev/cluster": config.name, "app.kubernetes.io/part-of": "fawkes" };

        const zones = config.availabilityZones
            ? pulumi.output([...config.availabilityZones])
            : getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, { provider: aws }).names.apply(
                  (names = []) => {
                      if (names.length < maxZones) {
                          throw new Error(
                              `region ${config.region} offers ${names.length} availability zone(s) without opt-in; ` +
                                  "list the zones to use in fawkes:cluster.availabilityZones (at least 2)",
                          );
                      }
                      return names.slice(0, maxZones);
                  },
              );

        const network = this.createNetwork(name, config, zones, ha, tags, child, stateful);
        const api = this.createApiAccess(name, config, network.vpc, tags, child);
        const key = new kms.Key(
            `${name}-secrets`,
            { description: `Envelope encryption of Kubernetes Secrets in EKS cluster ${config.name}`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
            stateful,
        );
        new kms.Alias(`${name}-secrets`, { name: `alias/${config.name}-secrets`, targetKeyId: key.keyId }, child);

        const clusterRole = new iam.Role(`${name}-cluster`, { assumeRolePolicy: assumeRolePolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags }, child);
        const clusterPolicy = new iam.RolePolicyAttachment(`${name}-cluster`, { role: clusterRole.name, policyArn: managedPolicy("AmazonEKSClusterPolicy") }, child);
        // The managed policy grants no KMS rights: allow exactly what envelope encryption
        // needs, on this key only.
        const clusterKeyAccess = new iam.RolePolicy(
            `${name}-cluster-kms`,
            {
                role: clusterRole.name,
                policy: key.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"], Resource: arn }],
                    }),
                ),
            },
            child,
        );

        const cluster = new eks.Cluster(
            `${name}-eks`,
            {
                name: config.name,
                version: config.kubernetesVersion,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: pulumi.all([network.privateSubnetIds, network.publicSubnetIds]).apply(([priv, pub]) => [...priv, ...pub]),
                    // Always on: nodes (and anything else in the VPC) reach the API server privately.
                    endpointPrivateAccess: true,
                    endpointPublicAccess: config.apiAccess.mode === "public",
                    publicAccessCidrs: config.apiAccess.mode === "public" ? publicAccessCidrs(config.apiAccess) : undefined,
                    securityGroupIds: [api.securityGroup.id],
                },
                encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
                enabledClusterLogTypes: ["api", "audit", "authenticator"],
                deletionProtection: protectStateful,
                tags,
            },
            // The role must carry its policies before EKS assumes it to create the cluster.
            { ...stateful, dependsOn: [clusterPolicy, clusterKeyAccess] },
        );

        const nodeRole = new iam.Role(`${name}-node`, { assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"), tags }, child);
        const nodePolicies = nodeRolePolicies.map(
            (policy) => new iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: managedPolicy(policy) }, child),
        );

        // The Pod Identity agent is a hostNetwork DaemonSet using the node role: it needs no
        // pod network. It and the CNI are DaemonSets, so both add-ons can be installed before
        // any node exists (nothing to wait for) and are on the first node from its start.
        const podIdentity = new eks.Addon(`${name}-pod-identity`, { clusterName: cluster.name, addonName: "eks-pod-identity-agent", tags }, child);
        const podNetwork = this.createPodNetwork(name, cluster, tags, child, podIdentity);

        // A node is Ready only once the CNI on it can allocate addresses: nodes start after the
        // CNI add-on carries its Pod Identity association (and the agent is installed).
        const nodeGroups = config.pools.map((pool) =>
            this.createNodeGroup(name, config, pool, cluster, nodeRole, network.privateSubnetIds, tags, child, [...nodePolicies, podNetwork]),
        );
        this.createStorageDriver(name, cluster, tags, child, nodeGroups, podIdentity);

        this.pools = cloudNodePools(config.pools);
        this.clusterName = cluster.name;
        this.cloud = { kind: "eks", provider: aws, region: config.region, clusterName: cluster.name, clusterArn: cluster.arn };
        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
                eksKubeconfig(clusterName, endpoint, ca?.data ?? "", config.region),
            ),
        );
        this.createAdmins(name, config, cluster, child);
        this.apiReach = {
            mode: config.apiAccess.mode,
            endpoint: cluster.endpoint,
            allowedCidrs: allowedCidrs(config.apiAccess),
            network: { kind: "eks", vpcId: network.vpc.id, privateSubnetIds: network.privateSubnetIds, apiSecurityGroupId: api.securityGroup.id },
        };
        // Private: a runner in the VPC talks to the API server only once its 443 rule exists.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: [...nodeGroups, ...api.runnerRules] });

        // EKS clusters created at 1.30 and later have no default StorageClass; Vault,
        // Prometheus and the databases need one.
        new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: "Delete",
            },
            { parent: this, provider: this.provider },
        );

        this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, pools: this.pools, apiReach: this.apiReach });
    }

    /**
     * A security group of the control plane's own, for API access from inside the network. The
     * cluster security group EKS creates admits only its own members (its one inbound rule is
     * "all traffic from self": EKS user guide, "Security group requirements"), so a runner in
     * the VPC, which resolves the endpoint to its private addresses, could not connect; AWS has
     * the control plane's security group allow 443 from the bastion or connected network (EKS
     * user guide, "Accessing a private only API server"). EKS attaches groups listed in
     * vpcConfig.securityGroupIds to the control plane's network interfaces only, not to nodes.
     * The group is attached in both modes, so a change of mode adds or removes its rules and
     * never the cluster's security groups.
     */
    private createApiAccess(name: string, config: EksClusterConfig, vpc: ec2.Vpc, tags: Record<string, string>, child: pulumi.CustomResourceOptions) {
        // No egress rules: the cluster security group already lets the control plane reach the nodes.
        const securityGroup = new ec2.SecurityGroup(
            `${name}-api`,
            { vpcId: vpc.id, description: "Kubernetes API server: 443 from the runner networks of fawkes:cluster.apiAccess", tags: { ...tags, Name: `${config.name}-api` } },
            child,
        );
        const runnerCidrs = config.apiAccess.mode === "private" ? config.apiAccess.runnerCidrs : [];
        // Named by range, so reordering the list changes nothing.
        const runnerRules = runnerCidrs.map(
            (cidr) =>
                new SecurityGroupIngressRule(
                    `${name}-api-${cidr.replace(/[./]/g, "-")}`,
                    { securityGroupId: securityGroup.id, ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: cidr, description: "Kubernetes API from a runner network (apiAccess.runnerCidrs)", tags },
                    child,
                ),
        );
        return { securityGroup, runnerRules };
    }

    /** An access entry with the cluster-admin access policy per configured admin (fawkes:cluster.admins). */
    private createAdmins(name: string, config: EksClusterConfig, cluster: eks.Cluster, child: pulumi.CustomResourceOptions): eks.AccessPolicyAssociation[] {
        if (config.admins.length === 0) {
            return [];
        }
        // A configured creator would collide with the bootstrap grant: stop with a message.
        const caller = getCallerIdentityOutput({}, { parent: this, provider: child.provider as pulumi.ProviderResource });
        const checked = caller.arn.apply((arn) => {
            const admin = adminThatIsCreator(config.admins, arn);
            if (admin !== undefined) {
                throw new Error(creatorCollision(admin, arn));
            }
            return cluster.name;
        });
        return config.admins.map((principalArn, i) => {
            const entry = new eks.AccessEntry(`${name}-admin-${i}`, { clusterName: checked, principalArn, type: "STANDARD" }, child);
            // Inputs from the check, not from the entry's outputs: a refused run then fails both at once.
            return new eks.AccessPolicyAssociation(
                `${name}-admin-${i}`,
                { clusterName: checked, principalArn, policyArn: clusterAdminPolicyArn, accessScope: { type: "cluster" } },
                { ...child, dependsOn: [entry] },
            );
        });
    }

    private createNetwork(
        name: string,
        config: EksClusterConfig,
        zones: pulumi.Output<string[]>,
        ha: boolean,
        tags: Record<string, string>,
        child: pulumi.CustomResourceOptions,
        stateful: pulumi.CustomResourceOptions,
    ) {
        const vpc = new ec2.Vpc(`${name}-vpc`, { cidrBlock: eksVpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${config.name}-vpc` } }, stateful);
        const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, child);
        const publicRoutes = new ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags }, child);
        const clusterTag = `kubernetes.io/cluster/${config.name}`;

        // The number of zones must be known before the lookup resolves, to declare the
        // subnets: the configured list, or exactly `maxZones` looked-up ones. One NAT gateway
        // per zone in ha stacks, one shared otherwise.
        const zoneCount = config.availabilityZones?.length ?? maxZones;
        const publicSubnets: ec2.Subnet[] = [];
        const privateSubnets: ec2.Subnet[] = [];
        const natGateways: ec2.NatGateway[] = [];
        for (let i = 0; i < zoneCount; i++) {
            const az = zones.apply((z) => z[i]);
            const pub = new ec2.Subnet(
                `${name}-public-${i}`,
                { vpcId: vpc.id, cidrBlock: publicSubnetCidr(i), availabilityZone: az, mapPublicIpOnLaunch: false, tags: { ...tags, [clusterTag]: "shared", "kubernetes.io/role/elb": "1" } },
                child,
            );
            new ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, child);
            publicSubnets.push(pub);
            if (ha || i === 0) {
                const eip = new ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags }, child);
                natGateways.push(new ec2.NatGateway(`${name}-nat-${i}`, { subnetId: pub.id, allocationId: eip.id, tags }, child));
            }
            const priv = new ec2.Subnet(
                `${name}-private-${i}`,
                { vpcId: vpc.id, cidrBlock: privateSubnetCidr(i), availabilityZone: az, tags: { ...tags, [clusterTag]: "shared", "kubernetes.io/role/internal-elb": "1" } },
                child,
            );
            const nat = natGateways[natGateways.length - 1];
            const routes = new ec2.RouteTable(`${name}-private-${i}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags }, child);
            new ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: priv.id, routeTableId: routes.id }, child);
            privateSubnets.push(priv);
        }
        return {
            vpc,
            publicSubnetIds: pulumi.all(publicSubnets.map((s) => s.id)),
            privateSubnetIds: pulumi.all(privateSubnets.map((s) => s.id)),
        };
    }

    private createNodeGroup(
        name: string,
        config: EksClusterConfig,
        pool: PoolConfig,
        cluster: eks.Cluster,
        nodeRole: iam.Role,
        subnetIds: pulumi.Output<string[]>,
        tags: Record<string, string>,
        child: pulumi.CustomResourceOptions,
        prerequisites: pulumi.Resource[],
    ): eks.NodeGroup {
        // A launch template is the only way to get an encrypted gp3 root volume and to
        // require IMDSv2 on managed nodes.
        const template = new ec2.LaunchTemplate(
            `${name}-${pool.name}`,
            {
                blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: pool.diskGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } }],
                metadataOptions: { ...nodeMetadataOptions },
                tagSpecifications: [{ resourceType: "instance", tags: { ...tags, "fawkes.dev/pool": pool.name } }],
                tags,
            },
            child,
        );
        return new eks.NodeGroup(
            `${name}-${pool.name}`,
            {
                clusterName: cluster.name,
                nodeGroupName: pool.name,
                version: config.kubernetesVersion,
                nodeRoleArn: nodeRole.arn,
                subnetIds,
                instanceTypes: [pool.instanceType!],
                amiType: pool.arch === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD",
                capacityType: "ON_DEMAND",
                scalingConfig: { desiredSize: pool.count, minSize: pool.count, maxSize: pool.count },
                updateConfig: { maxUnavailable: 1 },
                launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
                labels: poolLabels(pool),
                tags,
            },
            // Nodes cannot join until their role carries the worker policies and the CNI can get
            // its credentials.
            { ...child, dependsOn: prerequisites },
        );
    }

    /**
     * The VPC CNI as a managed add-on whose service account (kube-system/aws-node) gets
     * AmazonEKS_CNI_Policy through Pod Identity. aws-node runs hostNetwork, so it still reads
     * the instance metadata it needs (ENIs, addresses) at hop limit 1; only its credentials
     * move off the node role.
     */
    private createPodNetwork(name: string, cluster: eks.Cluster, tags: Record<string, string>, child: pulumi.CustomResourceOptions, podIdentity: eks.Addon): eks.Addon {
        const role = new iam.Role(`${name}-vpc-cni`, { assumeRolePolicy: cluster.arn.apply((arn) => podIdentityTrustPolicy(arn, "kube-system", "aws-node")), tags }, child);
        const attachment = new iam.RolePolicyAttachment(`${name}-vpc-cni`, { role: role.name, policyArn: managedPolicy("AmazonEKS_CNI_Policy") }, child);
        return new eks.Addon(
            `${name}-vpc-cni`,
            {
                clusterName: cluster.name,
                addonName: "vpc-cni",
                podIdentityAssociations: [{ roleArn: role.arn, serviceAccount: "aws-node" }],
                // EKS installs aws-node itself when it creates the cluster; the add-on adopts it.
                resolveConflictsOnCreate: "OVERWRITE",
                tags,
            },
            // The role must carry its policy, and the agent must exist, before any aws-node
            // pod asks for credentials.
            { ...child, dependsOn: [podIdentity, attachment] },
        );
    }

    /** The EBS CSI driver, with its AWS rights through EKS Pod Identity rather than the node role. */
    private createStorageDriver(
        name: string,
        cluster: eks.Cluster,
        tags: Record<string, string>,
        child: pulumi.CustomResourceOptions,
        nodeGroups: eks.NodeGroup[],
        podIdentity: eks.Addon,
    ): void {
        const role = new iam.Role(
            `${name}-ebs-csi`,
            { assumeRolePolicy: cluster.arn.apply((arn) => podIdentityTrustPolicy(arn, "kube-system", "ebs-csi-controller-sa")), tags },
            child,
        );
        const attachment = new iam.RolePolicyAttachment(`${name}-ebs-csi`, { role: role.name, policyArn: managedPolicy("service-role/AmazonEBSCSIDriverPolicy") }, child);
        new eks.Addon(
            `${name}-ebs-csi`,
            {
                clusterName: cluster.name,
                addonName: "aws-ebs-csi-driver",
                podIdentityAssociations: [{ roleArn: role.arn, serviceAccount: "ebs-csi-controller-sa" }],
                tags,
            },
            // The driver's controller needs nodes to run on, the Pod Identity agent to get
            // credentials, and the role's policy before it first calls EC2.
            { ...child, dependsOn: [...nodeGroups, podIdentity, attachment] },
        );
    }
}

/** A kubeconfig that authenticates through `aws eks get-token` (AWS CLI v2 on PATH). */
export function eksKubeconfig(clusterName: string, endpoint: string, caData: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}
