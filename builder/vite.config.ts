import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The bundle is served by the API at /ui (app/api/builder_ui.py) and committed inside the
// Python package, so `make run` needs no Node. `npm run dev` proxies the API for hot reload.
const api = process.env.FLOWHOLD_API ?? "http://127.0.0.1:8000";
const apiPaths = [
  "/workflows",
  "/runs",
  "/accounts",
  "/node-types",
  "/schema",
  "/organization",
  "/api-keys",
  "/healthz",
];

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: "../app/ui",
    emptyOutDir: true,
    sourcemap: false,
    // One deterministic output: no build time or absolute path ends up in a file.
    reportCompressedSize: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: false }])),
  },
});
