// ESLint 9 flat config: typescript-eslint's type-aware rules plus Pulumi's own rules
// (no Output inside a template literal: use pulumi.interpolate).
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "policy/node_modules/**", "platform/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ["**/*.ts"] })),
    {
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        // Specs use assert-style narrowing on loosely typed captured inputs.
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-base-to-string": "off",
            "@typescript-eslint/require-await": "off",
        },
    },
    { files: ["**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
    {
        files: ["**/*.cjs"],
        languageOptions: { sourceType: "commonjs", globals: { process: "readonly", console: "readonly", require: "readonly", performance: "readonly" } },
    },
);
