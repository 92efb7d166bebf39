// Lint rules, including the folder boundaries of bulletproof-react: a feature imports shared
// code (src/components, src/lib) and nothing of another feature; shared code imports no
// feature; only src/app composes features.
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const features = ["auth", "accounts", "canvas", "runs", "versions"];

const featureZones = features.map((feature) => ({
  target: `./src/features/${feature}`,
  from: "./src/features",
  except: [`./${feature}`],
  message: "features do not import each other: compose them in src/app",
}));

export default tseslint.config(
  { ignores: ["node_modules", "../app/ui", "src/lib/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.{ts,tsx}", "vite.config.ts"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { "import-x": importX, "react-hooks": reactHooks },
    settings: {
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "import-x/no-unresolved": "error",
      "import-x/no-cycle": "error",
      "import-x/no-restricted-paths": [
        "error",
        {
          zones: [
            ...featureZones,
            {
              target: ["./src/components", "./src/lib"],
              from: ["./src/features", "./src/app"],
              message: "shared code does not depend on features or the app",
            },
            { target: "./src/features", from: "./src/app", message: "features do not import the app" },
          ],
        },
      ],
    },
  },
);
