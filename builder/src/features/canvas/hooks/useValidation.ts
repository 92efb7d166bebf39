import { useEffect, useMemo, useRef, useState } from "react";

import type { GraphIssue, StoredGraph } from "../../../lib/graph";
import { validateGraph } from "../api/workflows";

export interface ValidationState {
  checking: boolean;
  valid: boolean | null;
  issues: GraphIssue[];
  /** The graph the issues are about (node indexes in their paths refer to it). */
  graph: StoredGraph | null;
  error: unknown;
}

const DEBOUNCE_MS = 350;

/** Validates the graph with the API when it opens, and shortly after each change (positions alone do not count). */
export function useValidation(graph: StoredGraph, enabled: boolean): ValidationState {
  const [state, setState] = useState<ValidationState>({
    checking: false,
    valid: null,
    issues: [],
    graph: null,
    error: null,
  });
  const key = useMemo(() => JSON.stringify(withoutPositions(graph)), [graph]);
  // The graph as opened is checked at once; edits wait for a pause in typing.
  const opened = useRef(true);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const delay = opened.current ? 0 : DEBOUNCE_MS;
    opened.current = false;
    const check = () => {
      setState((previous) => ({ ...previous, checking: true }));
      const checked = JSON.parse(key) as StoredGraph;
      validateGraph(checked, controller.signal).then(
        (answer) =>
          setState({
            checking: false,
            valid: answer.valid,
            issues: answer.errors as unknown as GraphIssue[],
            graph: checked,
            error: null,
          }),
        (error: unknown) => {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, checking: false, error }));
        },
      );
    };
    // At once means in this effect: a timer would wait behind React Flow measuring the nodes.
    let timer: number | undefined;
    if (delay) timer = window.setTimeout(check, delay);
    else check();
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [key, enabled]);
  return state;
}

function withoutPositions(graph: StoredGraph): StoredGraph {
  return {
    ...graph,
    nodes: graph.nodes.map(({ position: _position, ...node }) => node),
    ui: undefined,
  };
}
