// `npm run -s vault-layer-policy`: prints the Vault policy an HA stack's fawkes:vaultToken
// needs (components/vault-layer-policy.ts), for `vault policy write fawkes-vault-layer -`
// during the one-time init, and the command that creates the token.

import { vaultLayerPolicy, vaultLayerTokenCommand } from "../components/vault-layer-policy";

if (process.argv.includes("--token-command")) {
    console.log(vaultLayerTokenCommand);
} else {
    process.stdout.write(vaultLayerPolicy);
}
