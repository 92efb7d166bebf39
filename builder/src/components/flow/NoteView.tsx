import { useReactFlow, type NodeProps } from "@xyflow/react";
import { memo, useContext } from "react";

import type { NoteNode } from "../../lib/graph";
import { FlowModeContext } from "./mode";

/** A sticky note: text on the canvas for people; the engine never sees it. */
export const NoteView = memo(function NoteView({ id, data }: NodeProps<NoteNode>) {
  const mode = useContext(FlowModeContext);
  const flow = useReactFlow();
  return (
    <div className="note" data-testid={`note-${id}`}>
      {mode === "edit" ? (
        <textarea
          className="note__text nodrag"
          aria-label="Sticky note"
          value={data.text}
          onChange={(event) => flow.updateNodeData(id, { text: event.target.value })}
        />
      ) : (
        <p className="note__text">{data.text}</p>
      )}
    </div>
  );
});
