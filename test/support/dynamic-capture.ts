// Registers a dynamic resource under minimal mocks and hands back what the engine would get:
// its inputs, with `__provider` holding the serialized provider text the dynamic-provider host
// loads. Specs then run that text in a fresh process, to prove the provider survives
// serialization with no secret in it.

import * as pulumi from "@pulumi/pulumi";

export async function captureDynamicResource(construct: () => void): Promise<Record<string, unknown>> {
    let registered: Record<string, unknown> | undefined;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.type.startsWith("pulumi-nodejs:dynamic")) {
                    registered = args.inputs as Record<string, unknown>;
                }
                return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        "fawkes",
        "dev",
        false,
    );
    await pulumi.runtime.runInPulumiStack(() => {
        construct();
        return Promise.resolve({});
    });
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    if (registered === undefined || typeof registered.__provider !== "string") {
        throw new Error("the mock received no serialized dynamic provider");
    }
    return registered;
}
