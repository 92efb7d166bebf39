import { NodeResizer, useReactFlow, type NodeProps } from "@xyflow/react";
import { memo, useContext } from "react";

import type { GroupNode } from "../../lib/graph";
import { FlowModeContext } from "./mode";

/** A group: a labelled frame around nodes for people; the engine never sees it. */
export const GroupView = memo(function GroupView({ id, data, selected }: NodeProps<GroupNode>) {
  const mode = useContext(FlowModeContext);
  const flow = useReactFlow();
  return (
    <div className="group-frame" data-testid={`group-${id}`}>
      {mode === "edit" && <NodeResizer isVisible={selected} minWidth={160} minHeight={100} />}
      {mode === "edit" ? (
        <input
          className="group-frame__label nodrag"
          aria-label="Group label"
          value={data.label}
          onChange={(event) => flow.updateNodeData(id, { label: event.target.value })}
        />
      ) : (
        <p className="group-frame__label">{data.label}</p>
      )}
    </div>
  );
});
