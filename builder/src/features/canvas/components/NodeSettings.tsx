import { useId } from "react";

import type { NodeType } from "../../../lib/catalog";
import type { EngineNodeData, OnError, Problem, RetrySpec } from "../../../lib/graph";
import type { Account } from "../api/workflows";

interface Props {
  nodeType: NodeType;
  data: EngineNodeData;
  accounts: Account[];
  problems: Problem[];
  onChange: (patch: Partial<EngineNodeData>) => void;
}

const RETRY_FIELDS: { key: keyof RetrySpec; label: string; step: number }[] = [
  { key: "maximum_attempts", label: "Maximum attempts", step: 1 },
  { key: "initial_interval_seconds", label: "First retry after (s)", step: 0.1 },
  { key: "backoff_coefficient", label: "Backoff coefficient", step: 0.1 },
  { key: "maximum_interval_seconds", label: "Longest wait between retries (s)", step: 1 },
];

function numberOrUndefined(text: string): number | undefined {
  return text === "" ? undefined : Number(text);
}

function FieldProblems({ problems, field }: { problems: Problem[]; field: string }) {
  const mine = problems.filter((problem) => problem.field[0] === field);
  if (!mine.length) return null;
  return (
    <ul className="field__errors">
      {mine.map((problem) => (
        <li key={problem.message}>{problem.message}</li>
      ))}
    </ul>
  );
}

/** The node-level fields that apply to this type: name, account, retry, time limit, on error,
 * disabled (`node_fields` of the catalog). */
export function NodeSettings({ nodeType, data, accounts, problems, onChange }: Props) {
  const id = useId();
  const has = (field: string) => nodeType.node_fields.includes(field);
  const usable = nodeType.account ? accounts.filter((account) => account.platform === nodeType.account?.platform) : [];
  const retry = data.retry ?? null;
  return (
    <fieldset className="node-settings">
      <legend>Node</legend>
      {has("name") && (
        <label className="field">
          <span>Name</span>
          <input
            className="input"
            value={data.name ?? ""}
            placeholder={nodeType.title}
            onChange={(event) => onChange({ name: event.target.value || null })}
          />
        </label>
      )}
      {has("account_id") && nodeType.account && (
        <label className="field">
          <span>
            Account ({nodeType.account.platform}){nodeType.account.required ? " *" : ""}
          </span>
          <select
            className="input"
            value={data.account_id ?? ""}
            aria-invalid={problems.some((p) => p.field[0] === "account_id") || undefined}
            onChange={(event) => onChange({ account_id: event.target.value || null })}
          >
            <option value="">{nodeType.account.required ? "Choose an account…" : "No account"}</option>
            {usable.map((account) => (
              <option key={account.id} value={account.id} disabled={account.status !== "active"}>
                {account.display_name} ({account.status})
              </option>
            ))}
          </select>
          <FieldProblems problems={problems} field="account_id" />
        </label>
      )}
      {has("timeout_seconds") && (
        <label className="field">
          <span>Time limit per attempt (s)</span>
          <input
            className="input"
            type="number"
            min={0}
            value={data.timeout_seconds ?? ""}
            placeholder={nodeType.default_timeout_seconds ? `${nodeType.default_timeout_seconds} (default)` : ""}
            onChange={(event) => onChange({ timeout_seconds: numberOrUndefined(event.target.value) ?? null })}
          />
          <FieldProblems problems={problems} field="timeout_seconds" />
        </label>
      )}
      {has("on_error") && (
        <label className="field">
          <span>On error</span>
          <select
            className="input"
            value={data.on_error ?? "fail"}
            onChange={(event) => onChange({ on_error: event.target.value as OnError })}
          >
            <option value="fail">Fail the run</option>
            <option value="continue">Continue with the error as output</option>
            <option value="route">Follow the error output</option>
          </select>
        </label>
      )}
      {has("disabled") && (
        <label className="field field--inline">
          <input
            type="checkbox"
            checked={Boolean(data.disabled)}
            onChange={(event) => onChange({ disabled: event.target.checked })}
          />
          <span>Disabled (the run passes straight through)</span>
        </label>
      )}
      {has("retry") && (
        <details className="retry" open={Boolean(retry)}>
          <summary>Retries</summary>
          <label className="field field--inline">
            <input
              type="checkbox"
              checked={Boolean(retry)}
              onChange={(event) => onChange({ retry: event.target.checked ? { maximum_attempts: 3 } : null })}
            />
            <span>Custom retry policy</span>
          </label>
          {retry &&
            RETRY_FIELDS.map((field) => (
              <label className="field" key={field.key} htmlFor={`${id}-${field.key}`}>
                <span>{field.label}</span>
                <input
                  id={`${id}-${field.key}`}
                  className="input"
                  type="number"
                  step={field.step}
                  value={(retry[field.key] as number | undefined) ?? ""}
                  onChange={(event) =>
                    onChange({ retry: { ...retry, [field.key]: numberOrUndefined(event.target.value) } })
                  }
                />
              </label>
            ))}
          <FieldProblems problems={problems} field="retry" />
        </details>
      )}
    </fieldset>
  );
}
