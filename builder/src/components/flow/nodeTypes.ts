import type { NodeTypes } from "@xyflow/react";

import { EngineNodeView } from "./EngineNodeView";
import { NoteView } from "./NoteView";

/** Every engine node draws as one generic node type; its engine type is `data.type`. */
export const nodeTypes: NodeTypes = { engine: EngineNodeView, note: NoteView };
