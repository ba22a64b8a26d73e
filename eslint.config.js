// Lint rules for the whole repository (`npm run lint`). Formatting is Prettier's job (`npm run format`), so
// eslint-config-prettier switches off every stylistic rule that could disagree with it.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

const typeScriptFiles = ["**/*.ts", "**/*.tsx"];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "generated/",
      "data/",
      "web/dist/",
      "camera-bridge/dist/",
      "bench/results/",
      "test-results/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: typeScriptFiles,
    languageOptions: {
      parserOptions: {
        // The project service reuses tsconfig.json; the few config files outside its `include` get a default project.
        projectService: { allowDefaultProject: ["*.ts", "*.js", "web/*.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    // Type-aware rules, picked for what they catch in this codebase: a forgotten promise ends a process
    // (unhandled rejection) or a test passes before its assertion ran. The full type-checked preset costs
    // far more time on two cores and mostly flags `any` from untyped JSON.
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      "@typescript-eslint/await-thenable": "error",
    },
  },
  {
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".tsx", ".js"] })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
    },
  },
  {
    rules: {
      // A listener set up before the value exists reads it later (e.g. a keyframe request before the clip starts).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // A function longer than a screen hides its sections; split it along them.
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // A test file's `describe` callback is a list of cases, not one function to split.
    files: ["test/**/*.ts", "**/*.test.ts", "**/*.test.tsx"],
    rules: { "max-lines-per-function": "off" },
  },
  {
    files: ["web/viewer/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["web/public/push-sw.js"],
    languageOptions: { globals: globals.serviceworker },
  },
  prettier,
);
