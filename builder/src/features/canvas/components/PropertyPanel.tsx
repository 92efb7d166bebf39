import { Suspense, useMemo } from "react";

import { Loading } from "../../../components/ui/feedback";

import { useCatalog } from "../../../lib/catalog";
import { loadable } from "../../../lib/loadable";
import type { EngineNodeData, Problem } from "../../../lib/graph";
import { previewExpression, type Account, type ExpressionRoot } from "../api/workflows";
import type { Completion } from "./ExpressionInput";
import { NodeSettings } from "./NodeSettings";

// The form library and its validator (400 KB) load after the canvas is drawn, when the page
// is idle (`preloadForms`), or with the first form if that comes sooner.
const parametersForm = loadable(() => import("./ParametersForm").then((m) => m.ParametersForm));
const ParametersForm = parametersForm.Component;

/** Loads the forms' code once the browser has nothing else to do. */
export function preloadForms(): () => void {
  if (typeof window.requestIdleCallback !== "function") {
    const timer = window.setTimeout(parametersForm.preload, 1000);
    return () => window.clearTimeout(timer);
  }
  const handle = window.requestIdleCallback(parametersForm.preload, { timeout: 5000 });
  return () => window.cancelIdleCallback(handle);
}

interface Props {
  nodeId: string;
  data: EngineNodeData;
  problems: Problem[];
  accounts: Account[];
  upstream: string[];
  roots: ExpressionRoot[];
  /** Where the node sits (`rootContextsOf`): which roots its fields may read. */
  contexts: Set<string>;
  /** The workflow's latest run, whose data previews use (null: none yet). */
  lastRunId: string | null;
  onChange: (patch: Partial<EngineNodeData>, key: string) => void;
}

/** What the selected node does and how it behaves: its problems, node fields and parameters. */
export function PropertyPanel({
  nodeId,
  data,
  problems,
  accounts,
  upstream,
  roots,
  contexts,
  lastRunId,
  onChange,
}: Props) {
  const catalog = useCatalog();
  const nodeType = catalog.byType.get(data.type);
  const completion: Completion = useMemo(() => {
    const here = roots.filter((root) => root.available_in.some((context) => contexts.has(context)));
    const inMatch =
      data.type === "wait_for_event" ? roots.filter((root) => root.available_in.includes("wait_match")) : [];
    return {
      words: [
        ...here.map((root) => root.name),
        ...upstream.map((id) => (/^[A-Za-z_]\w*$/.test(id) ? `nodes.${id}` : `nodes["${id}"]`)),
      ],
      fieldWords: inMatch.length ? { match: inMatch.map((root) => root.name) } : undefined,
      preview: (source: string, bare: boolean) => previewExpression(source, bare, { runId: lastRunId, nodeId }),
    };
  }, [roots, contexts, upstream, data.type, lastRunId, nodeId]);
  if (!nodeType) {
    return (
      <section className="panel" aria-label="Node properties">
        <p className="error">Unknown node type {data.type}</p>
      </section>
    );
  }
  return (
    <section className="panel panel--properties" aria-label={`Properties of ${nodeId}`}>
      <header>
        <h2>{data.name || nodeType.title}</h2>
        <p className="muted">
          <code>{nodeId}</code> · {nodeType.type}
        </p>
        <p className="muted small">{nodeType.description}</p>
      </header>
      {problems.length > 0 && (
        <div className="problems" role="alert" aria-label="Problems of this node">
          <h3>Problems</h3>
          <ul>
            {problems.map((problem, index) => (
              <li key={index}>
                {problem.field.length > 0 && <code>{problem.field.join(".")}</code>} {problem.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <NodeSettings
        nodeType={nodeType}
        data={data}
        accounts={accounts}
        problems={problems}
        onChange={(patch) => onChange(patch, `${nodeId}:${Object.keys(patch).join(",")}`)}
      />
      <Suspense fallback={<Loading what="the form" />}>
        <ParametersForm
          key={nodeId}
          nodeType={nodeType}
          parameters={data.parameters}
          problems={problems}
          completion={completion}
          onChange={(parameters) => onChange({ parameters }, `${nodeId}:parameters`)}
        />
      </Suspense>
    </section>
  );
}
