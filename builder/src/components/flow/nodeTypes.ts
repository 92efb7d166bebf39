import type { NodeTypes } from "@xyflow/react";

import { EngineNodeView } from "./EngineNodeView";
import { GroupView } from "./GroupView";
import { NoteView } from "./NoteView";

/** Every engine node draws as one generic node type; its engine type is `data.type`. Notes
 * and groups are UI-only nodes. */
export const nodeTypes: NodeTypes = { engine: EngineNodeView, note: NoteView, group: GroupView };
