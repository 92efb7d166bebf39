import Form from "@rjsf/core";
import type { RJSFSchema } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { useState } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { ApiError } from "../../../lib/api/client";
import type { StoredGraph } from "../../../lib/graph";
import { Link, navigate } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import { getWorkflow, startRun } from "../api/runs";

/** Starts a run of the latest version with an input form made from the manual trigger's
 * `input_schema` (free JSON when it has none); the API checks the input again. */
export function StartRun({ workflowId }: { workflowId: string }) {
  const loaded = useAsync(async () => {
    const workflow = await getWorkflow(workflowId);
    const trigger = (workflow.graph as StoredGraph).nodes.find(
      (node) => (node.data?.type ?? node.type) === "trigger.manual",
    );
    const parameters = (trigger?.parameters ?? trigger?.data?.parameters ?? {}) as { input_schema?: RJSFSchema | null };
    return { workflow, hasManual: Boolean(trigger), schema: parameters.input_schema ?? null };
  }, [workflowId]);
  const [input, setInput] = useState<unknown>({});
  const [text, setText] = useState("{}");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const start = async (value: unknown) => {
    setBusy(true);
    setError(null);
    try {
      const run = await startRun(workflowId, value);
      navigate(`/runs/${encodeURIComponent(run.id)}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  if (loaded.error) return <ErrorMessage error={loaded.error} />;
  if (!loaded.data) return <Loading what="the workflow" />;
  const { workflow, hasManual, schema } = loaded.data;
  const fieldErrors =
    error instanceof ApiError
      ? Object.fromEntries(
          error.details
            .filter((detail) => detail.path[0] === "body" && detail.path[1] === "input" && detail.path.length > 2)
            .map((detail) => [String(detail.path[2]), { __errors: [detail.message] }]),
        )
      : undefined;
  return (
    <main className="page page--narrow">
      <header className="page__header">
        <h1>Run “{workflow.name}”</h1>
        <Link to={`/workflows/${workflow.id}`}>Back to the workflow</Link>
      </header>
      <p className="muted">Version {workflow.latest_version}, started by hand.</p>
      {!hasManual && (
        <p className="error">This workflow has no manual trigger: it starts from its schedule or webhook.</p>
      )}
      {hasManual && schema && (
        <Form
          schema={{ title: "Input", ...schema }}
          formData={input}
          validator={validator}
          noValidate
          showErrorList={false}
          extraErrors={fieldErrors as never}
          onChange={(event) => setInput(event.formData)}
          onSubmit={(event) => void start(event.formData)}
        >
          <button type="submit" className="button button--primary" disabled={busy}>
            Start run
          </button>
        </Form>
      )}
      {hasManual && !schema && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            try {
              void start(JSON.parse(text || "null"));
            } catch {
              setError(new Error("the input is not valid JSON"));
            }
          }}
        >
          <label className="field">
            <span>Input (JSON, read as `trigger`)</span>
            <textarea
              className="input input--code"
              rows={8}
              value={text}
              onChange={(event) => setText(event.target.value)}
            />
          </label>
          <button type="submit" className="button button--primary" disabled={busy}>
            Start run
          </button>
        </form>
      )}
      <ErrorMessage error={error} />
    </main>
  );
}
