// The node catalog (GET /node-types), fetched once per page load and shared by every view.
import { createContext, useContext } from "react";

import { api, unwrap, type Schemas } from "./api/client";

export type NodeType = Schemas["NodeTypePublic"];

export interface Catalog {
  types: NodeType[];
  byType: Map<string, NodeType>;
  errorHandle: string;
}

let pending: Promise<Catalog> | null = null;

export function loadCatalog(): Promise<Catalog> {
  pending ??= unwrap(api.GET("/node-types")).then((answer) => ({
    types: answer.data,
    byType: new Map(answer.data.map((type) => [type.type, type])),
    errorHandle: answer.error_handle ?? "error",
  }));
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

const CATEGORY_ICONS: Record<string, string> = {
  trigger: "⚡",
  flow: "◆",
  data: "{}",
  http: "⇄",
  x: "𝕏",
  instagram: "◎",
};

export function iconFor(nodeType: NodeType | undefined): string {
  return (nodeType && CATEGORY_ICONS[nodeType.category]) ?? "●";
}

export const CATEGORY_TITLES: Record<string, string> = {
  trigger: "Triggers",
  flow: "Flow control",
  data: "Data",
  http: "HTTP",
  x: "X",
  instagram: "Instagram",
};
