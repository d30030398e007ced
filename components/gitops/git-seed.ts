// GitSeed: the Pulumi resource that pushes the generated GitOps tree to the platform
// repository (the in-cluster Gitea on kind), so that Argo CD's root Application can sync
// it at the commit this resource outputs.
//
// A dynamic resource: its provider runs in a separate process from a serialized copy of
// the object below, so its methods use only git-push.ts (captured by value) and Node
// built-ins, never this module's imports.

import * as pulumi from "@pulumi/pulumi";
import { type GitAuthor, type GitPushRequest, defaultTimeoutSeconds, filesTreeHash, pushRequestProblems, pushTree } from "./git-push";

export interface GitSeedArgs {
    /** https:// (or http://) URL of the repository, ending in .git, without credentials. */
    readonly url: pulumi.Input<string>;
    readonly branch: pulumi.Input<string>;
    readonly username: pulumi.Input<string>;
    /** Stored in the state only as a secret input; never in the outputs. */
    readonly password: pulumi.Input<string>;
    /** The whole content of the branch: repo-relative path → text. Other files are removed. */
    readonly files: pulumi.Input<Record<string, pulumi.Input<string>>>;
    readonly author: pulumi.Input<{ readonly name: pulumi.Input<string>; readonly email: pulumi.Input<string> }>;
    readonly message: pulumi.Input<string>;
    /** PEM of the CA that signed the server's certificate, for an https URL. */
    readonly caCertificate?: pulumi.Input<string>;
    /** How long to retry while the server is not answering yet (default 300). */
    readonly timeoutSeconds?: pulumi.Input<number>;
    /**
     * Opaque: when it changes the resource updates, i.e. pushes again. Pass what identifies
     * the server's lifetime (e.g. the cluster's id), so a recreated cluster is seeded anew.
     */
    readonly target?: pulumi.Input<string>;
}

/** The resource's outputs: no password, and the files only as their hash. */
export interface GitSeedOutputs {
    readonly url: string;
    readonly branch: string;
    readonly commit: string;
    readonly treeHash: string;
    /** How many paths the last push added, changed or removed (0 when nothing was pushed). */
    readonly changedFiles: number;
    // Kept for diff, which compares new inputs with the old outputs.
    readonly message: string;
    readonly author: GitAuthor;
    readonly target: string;
    readonly caCertificateHash: string;
}

type Inputs = Record<string, unknown>;

function textHash(text: unknown): string {
    if (typeof text !== "string" || text === "") {
        return "";
    }
    return process.getBuiltinModule("node:crypto").createHash("sha256").update(text).digest("hex");
}

function toPushRequest(inputs: Inputs): GitPushRequest {
    const author = inputs.author as GitAuthor;
    return {
        url: inputs.url as string,
        branch: inputs.branch as string,
        username: inputs.username as string,
        password: inputs.password as string,
        files: inputs.files as Record<string, string>,
        author: { name: author.name, email: author.email },
        message: inputs.message as string,
        caCertificate: typeof inputs.caCertificate === "string" && inputs.caCertificate !== "" ? inputs.caCertificate : undefined,
        timeoutSeconds: typeof inputs.timeoutSeconds === "number" ? inputs.timeoutSeconds : defaultTimeoutSeconds,
    };
}

async function seed(inputs: Inputs): Promise<GitSeedOutputs> {
    const request = toPushRequest(inputs);
    const result = await pushTree(request);
    return {
        url: request.url,
        branch: request.branch,
        commit: result.commit,
        treeHash: filesTreeHash(request.files),
        changedFiles: result.changedFiles.length,
        message: request.message,
        author: request.author,
        target: typeof inputs.target === "string" ? inputs.target : "",
        caCertificateHash: textHash(request.caCertificate),
    };
}

/** Which inputs differ from what the last push was made of (`olds` are its outputs). */
export function gitSeedChanges(olds: Inputs, news: Inputs): string[] {
    const changes: string[] = [];
    const oldAuthor = (olds.author ?? {}) as Partial<GitAuthor>;
    const newAuthor = (news.author ?? {}) as Partial<GitAuthor>;
    if (olds.url !== news.url) {
        changes.push("url");
    }
    if (olds.branch !== news.branch) {
        changes.push("branch");
    }
    if (olds.treeHash !== filesTreeHash((news.files ?? {}) as Record<string, string>)) {
        changes.push("files");
    }
    if (olds.message !== news.message) {
        changes.push("message");
    }
    if (oldAuthor.name !== newAuthor.name || oldAuthor.email !== newAuthor.email) {
        changes.push("author");
    }
    if ((olds.target ?? "") !== (news.target ?? "")) {
        changes.push("target");
    }
    if ((olds.caCertificateHash ?? "") !== textHash(news.caCertificate)) {
        changes.push("caCertificate");
    }
    return changes;
}

/**
 * The provider. Credentials and timeoutSeconds are not compared in diff: a new password
 * or patience does not change what the branch should hold.
 */
export const gitSeedProvider: pulumi.dynamic.ResourceProvider = {
    check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
        return Promise.resolve({ inputs: news, failures: pushRequestProblems(news) });
    },

    diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
        // Never a replacement: pushing again is an update, and the old commit stays in history.
        return Promise.resolve({ changes: gitSeedChanges(olds, news).length > 0, replaces: [], deleteBeforeReplace: false });
    },

    async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await seed(inputs);
        return { id: `${outs.branch}@${outs.url}`, outs };
    },

    async update(_id: string, _olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: await seed(news) };
    },

    async delete(): Promise<void> {
        // Nothing to undo: the repository lives and dies with the in-cluster Git server, and
        // removing the tree from a live server would make Argo CD prune the whole platform.
    },
};

/**
 * Pushes `files` as the whole content of `branch` (one commit per change, never forced) and
 * outputs the resulting `commit`, for the root Application's targetRevision.
 */
export class GitSeed extends pulumi.dynamic.Resource {
    // `declare`: a class field would overwrite, after super(), the outputs Pulumi sets.
    declare public readonly url: pulumi.Output<string>;
    declare public readonly branch: pulumi.Output<string>;
    declare public readonly commit: pulumi.Output<string>;
    declare public readonly treeHash: pulumi.Output<string>;
    declare public readonly changedFiles: pulumi.Output<number>;

    constructor(name: string, args: GitSeedArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            url: args.url,
            branch: args.branch,
            username: args.username,
            password: pulumi.secret(args.password),
            files: args.files,
            author: args.author,
            message: args.message,
            caCertificate: args.caCertificate,
            timeoutSeconds: args.timeoutSeconds,
            target: args.target,
            // Outputs only: undefined here makes Pulumi expose them (unknown in a preview).
            commit: undefined,
            treeHash: undefined,
            changedFiles: undefined,
        };
        // No additionalSecretOutputs for the password: it is never an output at all (the
        // engine would warn about a listed output that does not exist).
        super(gitSeedProvider, name, props, opts, "gitops", "GitSeed");
    }
}
