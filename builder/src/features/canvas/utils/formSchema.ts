// The catalog's parameter schemas are Pydantic's JSON Schema. Two shapes render badly in a
// form library, so the builder adjusts them here (builder/API_NEEDS.md asks the API for UI
// hints instead): an optional field is `anyOf: [X, {type: null}]`, which becomes X (left
// empty, it is left out); a field that takes any JSON has no type, and gets a JSON editor.
type Schema = Record<string, unknown>;
export type UiSchema = Record<string, unknown>;

function isNull(schema: unknown): boolean {
  return (schema as Schema | undefined)?.type === "null";
}

function isAnyJson(schema: Schema): boolean {
  const shaped = ["type", "anyOf", "oneOf", "allOf", "$ref", "const", "enum"].some((key) => key in schema);
  return !shaped;
}

function isFreeObject(schema: Schema): boolean {
  return schema.type === "object" && !schema.properties && !schema.oneOf && !schema.anyOf;
}

/** `anyOf: [X, null]` as X, keeping the outer title, description and default. */
function collapseOptional(schema: Schema): Schema {
  const options = schema.anyOf as Schema[] | undefined;
  if (!Array.isArray(options) || options.length !== 2 || !options.some(isNull)) return schema;
  const kept = options.find((option) => !isNull(option)) ?? {};
  const { anyOf: _anyOf, default: fallback, ...outer } = schema;
  return { ...kept, ...outer, ...(fallback === null || fallback === undefined ? {} : { default: fallback }) };
}

export function prepareSchema(schema: Schema, expressionFields: string[] = []): { schema: Schema; uiSchema: UiSchema } {
  const uiSchema: UiSchema = {};
  const visit = (node: Schema, ui: UiSchema, path: string): Schema => {
    let current = collapseOptional(node);
    if (isAnyJson(current) || isFreeObject(current)) {
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
        next[name] = visit(property, childUi, path ? `${path}.${name}` : name);
        if (Object.keys(childUi).length) ui[name] = childUi;
      }
      current = { ...current, properties: next };
    }
    const items = current.items as Schema | undefined;
    if (items && !Array.isArray(items)) {
      const childUi: UiSchema = {};
      current = { ...current, items: visit(items, childUi, `${path}.*`) };
      if (Object.keys(childUi).length) ui.items = childUi;
    }
    return current;
  };
  const prepared = visit(schema, uiSchema, "");
  const defs = schema.$defs as Record<string, Schema> | undefined;
  if (defs) {
    // Referenced shapes (a switch's case, an HTTP body) get the same treatment; their UI
    // hints cannot follow a $ref, so they are inlined where the form meets them.
    prepared.$defs = Object.fromEntries(
      Object.entries(defs).map(([name, def]) => [name, visit(def, {}, `$defs.${name}`)]),
    );
  }
  return { schema: prepared, uiSchema };
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
