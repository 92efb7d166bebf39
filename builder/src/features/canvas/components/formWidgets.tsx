// rjsf pieces: every text field completes expressions; fields that take any JSON get a
// JSON editor (the schema has no type for them).
import { getDefaultRegistry } from "@rjsf/core";
import type { FieldProps, RegistryFieldsType, RegistryWidgetsType, WidgetProps } from "@rjsf/utils";
import { useEffect, useState } from "react";

import { toJson } from "../../../lib/format";
import { ExpressionInput, type Completion } from "./ExpressionInput";

export interface FormContext {
  completion: Completion;
}

/** The completion of one field: the node's words and those only this field has (rjsf names a
 * top-level field `root_<name>`). */
function fieldCompletion(completion: Completion | undefined, id: string): Completion {
  if (!completion) return { words: [] };
  const extra = completion.fieldWords?.[id.replace(/^root_/, "")];
  return extra ? { ...completion, words: [...completion.words, ...extra] } : completion;
}

function TextWidget(props: WidgetProps) {
  const context = (props.registry.formContext ?? {}) as Partial<FormContext>;
  const bare = Boolean((props.options as { expression?: boolean }).expression);
  const numeric = props.schema.type === "number" || props.schema.type === "integer";
  if (numeric) {
    return (
      <input
        id={props.id}
        className="input"
        type="number"
        value={props.value ?? ""}
        required={props.required}
        disabled={props.disabled || props.readonly}
        aria-invalid={props.rawErrors?.length ? true : undefined}
        onChange={(event) => props.onChange(event.target.value === "" ? undefined : Number(event.target.value))}
      />
    );
  }
  return (
    <ExpressionInput
      id={props.id}
      value={typeof props.value === "string" ? props.value : ""}
      onChange={(value) => props.onChange(value === "" ? props.options.emptyValue : value)}
      onBlur={() => props.onBlur(props.id, props.value)}
      completion={fieldCompletion(context.completion, props.id)}
      bare={bare}
      multiline={props.options.widget === "textarea" || Boolean((props as { multiline?: boolean }).multiline)}
      placeholder={props.placeholder}
      required={props.required}
      disabled={props.disabled || props.readonly}
      invalid={Boolean(props.rawErrors?.length)}
    />
  );
}

const CoreSelectWidget = getDefaultRegistry().widgets.SelectWidget!;

/** rjsf's select; the one that picks a `oneOf` option (an HTTP body's kind) gets no label
 * from its field template, so it draws its own. */
function SelectWidget(props: WidgetProps) {
  if (!props.id.endsWith("__oneof_select") && !props.id.endsWith("__anyof_select")) {
    return <CoreSelectWidget {...props} />;
  }
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label} (kind)</label>
      <CoreSelectWidget {...props} />
    </div>
  );
}

function TextareaWidget(props: WidgetProps) {
  return <TextWidget {...props} multiline />;
}

function JsonField(props: FieldProps) {
  const id = props.fieldPathId.$id;
  const [text, setText] = useState(() => (props.formData === undefined ? "" : toJson(props.formData)));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    // Follow changes made elsewhere (undo, another node) unless they are what we typed.
    setText((current) => {
      try {
        if (current.trim() && JSON.stringify(JSON.parse(current)) === JSON.stringify(props.formData)) return current;
      } catch {
        // keep what is being typed
        return current;
      }
      return props.formData === undefined ? "" : toJson(props.formData);
    });
  }, [props.formData]);
  const title = (props.schema.title as string | undefined) ?? props.name;
  // rjsf lists the API's problems under the field; this shows only what is being typed.
  const errors = problem ? [problem] : [];
  const invalid = errors.length > 0 || Boolean(props.rawErrors?.length);
  return (
    <div className="field field--json">
      <label htmlFor={id}>
        {title}
        {props.required ? " *" : ""} <span className="muted">(JSON)</span>
      </label>
      <textarea
        id={id}
        className="input input--code nodrag"
        rows={5}
        spellCheck={false}
        value={text}
        aria-invalid={invalid || undefined}
        aria-describedby={errors.length ? `${id}__errors` : undefined}
        onChange={(event) => {
          setText(event.target.value);
          if (!event.target.value.trim()) {
            setProblem(null);
            props.onChange(undefined, props.fieldPathId.path);
            return;
          }
          try {
            props.onChange(JSON.parse(event.target.value), props.fieldPathId.path);
            setProblem(null);
          } catch {
            setProblem("not valid JSON yet (text needs quotes)");
          }
        }}
      />
      {errors.length > 0 && (
        <ul id={`${id}__errors`} className="field__errors">
          {errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const widgets: RegistryWidgetsType = { TextWidget, TextareaWidget, SelectWidget };
export const fields: RegistryFieldsType = { json: JsonField };
