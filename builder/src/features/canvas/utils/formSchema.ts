// The catalog's parameter schemas are ready for a form library: optional fields are plain
// fields (absent means unset) and fields that take any JSON say so with
// `x-flowhold-widget: json`. Here they only get this builder's UI hints: JSON editors,
// expression inputs, placeholders from examples, local references inlined.
type Schema = Record<string, unknown>;
export type UiSchema = Record<string, unknown>;

const WIDGET = "x-flowhold-widget";

export function prepareSchema(schema: Schema, expressionFields: string[] = []): { schema: Schema; uiSchema: UiSchema } {
  const defs = (schema.$defs as Record<string, Schema> | undefined) ?? {};
  const uiSchema: UiSchema = {};
  const visit = (node: Schema, ui: UiSchema, path: string, seen: string[]): Schema => {
    let current = node;
    // Local references are inlined, so that UI hints reach the shapes they name (a switch's
    // case, an HTTP body); a reference back into itself stays a reference.
    const ref = typeof current.$ref === "string" ? current.$ref.replace("#/$defs/", "") : null;
    if (ref && defs[ref] && !seen.includes(ref)) {
      const { $ref: _ref, ...outer } = current;
      return visit({ ...defs[ref], ...outer }, ui, path, [...seen, ref]);
    }
    if ("const" in current) {
      ui["ui:widget"] = "hidden";
      return { ...current, default: current.const };
    }
    if (current[WIDGET] === "json") {
      ui["ui:field"] = "json";
      ui["ui:label"] = false; // the JSON editor labels itself
      return current;
    }
    const examples = current.examples as unknown[] | undefined;
    if (current.type === "string" && typeof examples?.[0] === "string") ui["ui:placeholder"] = examples[0];
    if (expressionFields.includes(path)) ui["ui:options"] = { expression: true };
    if (current.type === "string" && typeof current.maxLength === "number" && current.maxLength >= 1000) {
      ui["ui:widget"] = "textarea";
    }
    const properties = current.properties as Record<string, Schema> | undefined;
    if (properties) {
      const next: Record<string, Schema> = {};
      for (const [name, property] of Object.entries(properties)) {
        const childUi: UiSchema = {};
        next[name] = visit(property, childUi, path ? `${path}.${name}` : name, seen);
        if (Object.keys(childUi).length) ui[name] = childUi;
      }
      current = { ...current, properties: next };
    }
    const items = current.items as Schema | undefined;
    if (items && !Array.isArray(items)) {
      const childUi: UiSchema = {};
      current = { ...current, items: visit(items, childUi, `${path}.*`, seen) };
      if (Object.keys(childUi).length) ui.items = childUi;
    }
    for (const key of ["oneOf", "anyOf"] as const) {
      const options = current[key] as Schema[] | undefined;
      if (!Array.isArray(options)) continue;
      // rjsf takes each option's UI hints from `uiSchema.oneOf[index]`.
      const optionUis: UiSchema[] = options.map(() => ({}));
      current = { ...current, [key]: options.map((option, index) => visit(option, optionUis[index]!, path, seen)) };
      if (optionUis.some((optionUi) => Object.keys(optionUi).length)) ui[key] = optionUis;
    }
    return current;
  };
  const prepared = visit(schema, uiSchema, "", []);
  return { schema: { ...prepared, $defs: defs }, uiSchema };
}

/** rjsf's errorSchema for the validation problems of one node's parameters. */
export function extraErrorsFor(problems: { field: (string | number)[]; message: string }[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const problem of problems) {
    if (problem.field[0] !== "parameters") continue;
    let cursor = root;
    for (const part of problem.field.slice(1)) {
      const key = String(part);
      cursor[key] ??= {};
      cursor = cursor[key] as Record<string, unknown>;
    }
    cursor.__errors = [...((cursor.__errors as string[] | undefined) ?? []), problem.message];
  }
  return root;
}
