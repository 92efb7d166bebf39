import "@xyflow/react/dist/style.css";
import "./styles.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./app/App";
import { preloadPage } from "./app/routes";
import { getKey } from "./lib/auth";
import { loadCatalog } from "./lib/catalog";
import { readLocation } from "./lib/router";

if (getKey()) {
  // Signed in already: the catalog, the page's code and its data load at once.
  loadCatalog().catch(() => undefined);
  preloadPage(readLocation());
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
