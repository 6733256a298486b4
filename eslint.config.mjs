// ESLint: typescript-eslint's recommended rules on the sources, tests, benchmarks and scripts. The layer
// order (a layer imports only from the layers below it) is checked by scripts/layers.js, which
// `npm run lint` runs after ESLint.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "runs/", "data/", ".venv/", ".venv-ref/", "notebooks/", "test/golden/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // require() is used on purpose: optional backends loaded only when chosen, CommonJS-only packages
      // (`import x = require(...)`), files found by a computed path, and the CommonJS scripts.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["scripts/**/*.js", "bin/**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    // `const crypto = require("crypto")` names the module as Node's global does.
    rules: { "no-redeclare": ["error", { builtinGlobals: false }] },
  },
);
