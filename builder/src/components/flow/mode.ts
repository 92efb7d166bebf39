import { createContext } from "react";

/** Whether the graph around a node can be edited (the canvas) or only watched (a run). */
export const FlowModeContext = createContext<"edit" | "view">("edit");
