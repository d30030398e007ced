// Capacity of the cloud instance types the platform knows, used to size pools and budgets
// without calling a cloud API at preview time. Numbers are the vendors' published vCPU and
// memory per instance (AWS EC2 instance-type pages, Azure VM size pages).

export type CloudProvider = "eks" | "aks";

export interface InstanceType {
    readonly cpu: number;
    readonly memoryGiB: number;
    /** CPU architecture: picks the EKS AMI type. AKS infers it from the VM size. */
    readonly arch: "x86_64" | "arm64";
}

export const instanceTypes: Readonly<Record<CloudProvider, Readonly<Record<string, InstanceType>>>> = {
    eks: {
        "t3.xlarge": { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        "t3.2xlarge": { cpu: 8, memoryGiB: 32, arch: "x86_64" },
        "m5.xlarge": { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        "m5.2xlarge": { cpu: 8, memoryGiB: 32, arch: "x86_64" },
        "m6i.xlarge": { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        "m6i.2xlarge": { cpu: 8, memoryGiB: 32, arch: "x86_64" },
        "m7i.xlarge": { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        "m7i.2xlarge": { cpu: 8, memoryGiB: 32, arch: "x86_64" },
        "m6g.xlarge": { cpu: 4, memoryGiB: 16, arch: "arm64" },
        "m7g.xlarge": { cpu: 4, memoryGiB: 16, arch: "arm64" },
        "c5.xlarge": { cpu: 4, memoryGiB: 8, arch: "x86_64" },
        "r5.xlarge": { cpu: 4, memoryGiB: 32, arch: "x86_64" },
    },
    aks: {
        Standard_D4s_v5: { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        Standard_D8s_v5: { cpu: 8, memoryGiB: 32, arch: "x86_64" },
        Standard_D4as_v5: { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        Standard_D4ds_v5: { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        Standard_D4s_v4: { cpu: 4, memoryGiB: 16, arch: "x86_64" },
        Standard_D4ps_v5: { cpu: 4, memoryGiB: 16, arch: "arm64" },
        Standard_E4s_v5: { cpu: 4, memoryGiB: 32, arch: "x86_64" },
        Standard_F4s_v2: { cpu: 4, memoryGiB: 8, arch: "x86_64" },
        Standard_B4ms: { cpu: 4, memoryGiB: 16, arch: "x86_64" },
    },
};

export function lookupInstanceType(provider: CloudProvider, name: string): InstanceType | undefined {
    return Object.prototype.hasOwnProperty.call(instanceTypes[provider], name) ? instanceTypes[provider][name] : undefined;
}
