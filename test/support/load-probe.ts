// Runs one stack file under mocks in a fresh process and prints, as the last line, the
// @pulumi packages that run loaded (from require.cache). Used by the specs to prove that a
// kind stack never loads the cloud SDKs.

import { runStackFileOk } from "../../scripts/lib/harness";

const stack = process.argv[2] ?? "dev";
runStackFileOk(stack).then(
    () => {
        const packages = new Set<string>();
        for (const file of Object.keys(require.cache)) {
            const match = /node_modules[\\/]@pulumi[\\/]([^\\/]+)[\\/]/.exec(file);
            if (match) {
                packages.add(`@pulumi/${match[1]}`);
            }
        }
        console.log(JSON.stringify([...packages].sort()));
    },
    (err: Error) => {
        console.error(err.message);
        process.exit(1);
    },
);
