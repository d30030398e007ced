// What the program creates for the app-of-apps: the AppProjects (security boundaries stay
// with Pulumi, so a change in Git cannot widen them) and the root Application that syncs
// the stack's tree from the platform repository (the in-cluster Git server on a local stack).

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config-types";
import { appProjects, lockedDefaultProject, rootApplication, rootProject } from "./manifests";

export interface RootAppArgs {
    readonly config: PlatformConfig;
    readonly provider: k8s.Provider;
    /** The Argo CD release: the AppProject and Application CRDs and the controller. */
    readonly argoCd: pulumi.Resource;
    /** The External Secrets release: the CRD of the ExternalSecrets the apps' Applications sync. */
    readonly externalSecrets: pulumi.Resource;
    /** The commit (local stack: the seeded one) or branch the root app syncs. */
    readonly targetRevision: pulumi.Input<string>;
    /** The ExternalSecret of a private repository's credentials: Argo CD must be able to read before it syncs. */
    readonly repositoryCredentials: readonly pulumi.Resource[];
}

export class RootApp extends pulumi.ComponentResource {
    readonly application: k8s.apiextensions.CustomResource;

    constructor(name: string, args: RootAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fawkes:gitops:RootApp", name, {}, opts);
        const child = { parent: this, provider: args.provider, dependsOn: [args.argoCd] };
        const projects = [...appProjects(args.config), rootProject(args.config)].map(
            (project) =>
                new k8s.apiextensions.CustomResource(`${name}-project-${(project.metadata as { name: string }).name}`, project as k8s.apiextensions.CustomResourceArgs, child),
        );
        // Argo CD creates a `default` project that may deploy anything anywhere; an Application
        // committed to Git could name it. Empty it, so only the platform's projects grant rights.
        new k8s.apiextensions.CustomResourcePatch(`${name}-default-project`, lockedDefaultProject() as k8s.apiextensions.CustomResourcePatchArgs, child);
        // The root app syncs Applications into these projects: they must exist first.
        this.application = new k8s.apiextensions.CustomResource(name, rootApplication(args.config, args.targetRevision) as k8s.apiextensions.CustomResourceArgs, {
            ...child,
            dependsOn: [args.argoCd, args.externalSecrets, ...projects, ...args.repositoryCredentials],
        });
        this.registerOutputs({});
    }
}
