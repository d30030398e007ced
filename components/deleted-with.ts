// `deletedWith` for everything that lives inside a kind cluster. Pulumi does not pass
// deletedWith down to children, so a transformation on each top-level component sets it on
// every resource the component creates, explicitly, where the engine (and any mock harness)
// sees it on the registration itself.

import * as pulumi from "@pulumi/pulumi";

/** Options for a component whose resources all die with `anchor` (none when there is no anchor). */
export function deletedWith(anchor: pulumi.Resource | undefined): pulumi.ComponentResourceOptions {
    if (anchor === undefined) {
        return {};
    }
    const withAnchor: pulumi.ResourceTransformation = (args) => ({ props: args.props, opts: pulumi.mergeOptions(args.opts, { deletedWith: anchor }) });
    return { transformations: [withAnchor] };
}
