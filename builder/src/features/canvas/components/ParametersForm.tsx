import Form from "@rjsf/core";
import type { RJSFSchema } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { memo, useMemo } from "react";

import type { NodeType } from "../../../lib/catalog";
import type { Problem } from "../../../lib/graph";
import { extraErrorsFor, prepareSchema } from "../utils/formSchema";
import type { Completion } from "./ExpressionInput";
import { fields, widgets, type FormContext } from "./formWidgets";

interface Props {
  nodeType: NodeType;
  parameters: Record<string, unknown>;
  problems: Problem[];
  completion: Completion;
  onChange: (parameters: Record<string, unknown>) => void;
}

/** The node type's parameters as a form made from its JSON Schema; the API's validation
 * problems show on their fields. */
export const ParametersForm = memo(function ParametersForm({
  nodeType,
  parameters,
  problems,
  completion,
  onChange,
}: Props) {
  const { schema, uiSchema } = useMemo(
    () => prepareSchema(nodeType.parameters_schema, nodeType.expression_fields),
    [nodeType],
  );
  const extraErrors = useMemo(() => extraErrorsFor(problems), [problems]);
  const formContext: FormContext = useMemo(() => ({ completion }), [completion]);
  return (
    <Form
      className="parameters-form"
      schema={{ ...(schema as RJSFSchema), title: "Parameters", description: undefined }}
      uiSchema={{ ...uiSchema, "ui:submitButtonOptions": { norender: true } }}
      formData={parameters}
      validator={validator}
      widgets={widgets}
      fields={fields}
      formContext={formContext}
      extraErrors={extraErrors as never}
      showErrorList={false}
      noHtml5Validate
      experimental_defaultFormStateBehavior={{ emptyObjectFields: "skipDefaults" }}
      onChange={(event) => onChange((event.formData ?? {}) as Record<string, unknown>)}
    />
  );
});
