// The node catalog (GET /node-types), fetched once per page load and shared by every view.
import { createContext, useContext } from "react";

import { api, unwrap, type Schemas } from "./api/client";

export type NodeType = Schemas["NodeTypePublic"];
export type Category = Schemas["CategoryPublic"];

export interface Catalog {
  /** Every type, in palette order within its category. */
  types: NodeType[];
  byType: Map<string, NodeType>;
  /** Palette groups, in order. */
  categories: Category[];
  errorHandle: string;
}

let pending: Promise<Catalog> | null = null;

export function loadCatalog(): Promise<Catalog> {
  pending ??= unwrap(api.GET("/node-types")).then((answer) => {
    const types = [...answer.data].sort((a, b) => a.ui.order - b.ui.order);
    return {
      types,
      byType: new Map(types.map((type) => [type.type, type])),
      categories: [...answer.categories].sort((a, b) => a.order - b.order),
      errorHandle: answer.error_handle ?? "error",
    };
  });
  pending.catch(() => {
    pending = null; // try again next time (e.g. after signing in)
  });
  return pending;
}

export const CatalogContext = createContext<Catalog | null>(null);

export function useCatalog(): Catalog {
  const catalog = useContext(CatalogContext);
  if (!catalog) throw new Error("the catalog is not loaded");
  return catalog;
}

/** The output handles of a node: the type's, a switch's cases, and `error` when routed. */
export function outputHandles(
  nodeType: NodeType | undefined,
  parameters: Record<string, unknown>,
  onError: string | undefined,
  errorHandle = "error",
): string[] {
  if (!nodeType) return ["out"];
  const handles: string[] = [];
  if (nodeType.handles_from_parameters) {
    const cases = Array.isArray(parameters.cases) ? parameters.cases : [];
    for (const item of cases) {
      const handle = (item as { handle?: unknown })?.handle;
      if (typeof handle === "string" && handle && !handles.includes(handle)) handles.push(handle);
    }
  }
  handles.push(...nodeType.handles);
  if (onError === "route" && nodeType.kind !== "trigger") handles.push(errorHandle);
  return handles;
}

// How this builder draws the catalog's icon names (the set documented in the README).
const ICON_GLYPHS: Record<string, string> = {
  play: "▶",
  clock: "⏱",
  webhook: "⚓",
  branch: "◆",
  merge: "⋈",
  hourglass: "⌛",
  bell: "🔔",
  check: "✔",
  repeat: "↻",
  variable: "𝑥",
  braces: "{}",
  workflow: "⧉",
  stop: "■",
  alert: "⚠",
  http: "⇄",
  x: "𝕏",
  instagram: "◎",
  sparkles: "✦",
  box: "●",
};

export function iconFor(nodeType: NodeType | undefined): string {
  return (nodeType && ICON_GLYPHS[nodeType.ui.icon]) ?? "●";
}

/** What to write next to a handle: the catalog's label for fixed handles (none for `out`), a
 * switch case's own name. */
export function handleLabel(nodeType: NodeType | undefined, handle: string): string {
  return nodeType?.ui.handle_labels[handle] ?? handle;
}
