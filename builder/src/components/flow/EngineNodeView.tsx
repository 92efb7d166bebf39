import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";

import { handleLabel, iconFor, outputHandles, useCatalog } from "../../lib/catalog";
import type { EngineNode } from "../../lib/graph";

const ROW = 22;

function sameView(before: NodeProps<EngineNode>, after: NodeProps<EngineNode>): boolean {
  return before.id === after.id && before.data === after.data && before.selected === after.selected;
}

/** A node of the engine: its type's icon and title, its labelled output handles, and either
 * its validation problems (canvas) or its run status (execution view). */
export const EngineNodeView = memo(
  function EngineNodeView({ id, data, selected }: NodeProps<EngineNode>) {
    const catalog = useCatalog();
    const nodeType = catalog.byType.get(data.type);
    const handles = outputHandles(nodeType, data.parameters, data.on_error, catalog.errorHandle);
    const problems = data.problems ?? [];
    const status = data.run?.status;
    const title = data.name || nodeType?.title || data.type;
    const describe = [
      `${title}, ${data.type}`,
      data.disabled ? "disabled" : "",
      problems.length ? `${problems.length} problem${problems.length > 1 ? "s" : ""}` : "",
      status ?? "",
    ].filter(Boolean);
    const classes = [
      "node",
      `node--${nodeType?.category ?? "unknown"}`,
      problems.length ? "node--invalid" : "",
      status ? `node--${status}` : "",
      data.disabled ? "node--disabled" : "",
      selected ? "node--selected" : "",
    ];
    return (
      <div
        className={classes.filter(Boolean).join(" ")}
        style={{ minHeight: Math.max(64, handles.length * ROW + 20), borderLeftColor: nodeType?.ui.color }}
        aria-label={describe.join(", ")}
        data-testid={`node-${id}`}
        data-status={status}
        data-problems={problems.length}
      >
        {nodeType?.kind !== "trigger" && <Handle type="target" position={Position.Left} />}
        <div className="node__header">
          <span className="node__icon" aria-hidden="true">
            {iconFor(nodeType)}
          </span>
          <span className="node__title">{title}</span>
        </div>
        <div className="node__type">
          {id} · {data.type}
        </div>
        {problems.length > 0 && (
          <div className="node__problems" title={problems.map((p) => p.message).join("\n")}>
            ⚠ {problems[0]?.field.length ? `${problems[0].field.join(".")}: ` : ""}
            {problems[0]?.message}
            {problems.length > 1 ? ` (+${problems.length - 1})` : ""}
          </div>
        )}
        {status && (
          <div className="node__status">
            <span className={`badge badge--${status}`}>{status}</span>
            {(data.run?.attempts ?? 0) > 1 && <span> · {data.run?.attempts} attempts</span>}
          </div>
        )}
        {handles.map((handle, index) => {
          const label = handleLabel(nodeType, handle);
          return (
            <div
              key={handle}
              className="node__handle-row"
              style={{ top: `${((index + 1) / (handles.length + 1)) * 100}%` }}
            >
              {label && <span className={`node__handle-label node__handle-label--${handle}`}>{label}</span>}
              <Handle
                type="source"
                id={handle}
                position={Position.Right}
                className={`handle handle--${handle}`}
                title={`${label || handle} output`}
              />
            </div>
          );
        })}
      </div>
    );
  },
  // Drawn again only when what it shows changes, not each time React Flow measures or moves
  // the node (its size and position are props too): once per node when a graph opens.
  sameView,
);
