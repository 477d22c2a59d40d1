/**
 * Inputs for a form tree made from an adapter's JSON Schema (routes/dashboard/
 * schema_form.ts): labels, help text, the error next to its field (`aria-invalid`,
 * `aria-describedby`), password inputs for secrets, fieldsets for nested objects.
 * @module
 */
import type { FormField, FormNode } from "../routes/dashboard/schema_form.ts";

/** Values and errors by field name. */
export interface FieldState {
  values: Record<string, string | undefined>;
  errors: Record<string, string>;
}

/** One labelled input with its help and error. */
export function Field(
  props: { field: FormField; state: FieldState },
) {
  const { field, state } = props;
  const error = state.errors[field.name];
  // Secrets are never written back into a page.
  const value = field.sensitive ? undefined : state.values[field.name] ?? field.defaultValue;
  const help = field.description ? `${field.id}-help` : undefined;
  const err = error ? `${field.id}-error` : undefined;
  const common = {
    id: field.id,
    name: field.name,
    required: field.required,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": [help, err].filter(Boolean).join(" ") || undefined,
  };
  let input;
  switch (field.kind) {
    case "checkbox":
      input = <input type="checkbox" {...common} checked={value === "true" || value === "on"} />;
      break;
    case "select":
      input = (
        <select {...common}>
          {!field.required && <option value="">-</option>}
          {field.options?.map((o) => <option key={o} value={o} selected={o === value}>{o}</option>)}
        </select>
      );
      break;
    case "textarea":
    case "list":
    case "map":
    case "json":
      input = (
        <textarea
          {...common}
          rows={field.kind === "textarea" ? 5 : 3}
          spellcheck={field.kind === "textarea"}
          autocomplete={field.sensitive ? "off" : undefined}
          placeholder={field.kind === "map"
            ? "KEY=value, one per line"
            : field.kind === "list"
            ? "One per line"
            : undefined}
          maxLength={field.maxLength}
          value={value ?? ""}
        />
      );
      break;
    case "integer":
    case "number":
      input = (
        <input
          type="number"
          {...common}
          step={field.kind === "integer" ? 1 : "any"}
          min={field.min}
          max={field.max}
          value={value ?? ""}
        />
      );
      break;
    case "password":
      input = <input type="password" {...common} autocomplete="new-password" />;
      break;
    default:
      input = (
        <input
          type="text"
          {...common}
          autocomplete="off"
          minLength={field.minLength}
          maxLength={field.maxLength}
          value={value ?? ""}
        />
      );
  }
  return (
    <div
      class={`field${field.kind === "checkbox" ? " field-check" : ""}${error ? " invalid" : ""}`}
    >
      <label for={field.id}>
        {field.label}
        {!field.required && field.kind !== "checkbox" && <span class="optional">optional</span>}
      </label>
      {input}
      {help && <p class="help" id={help}>{field.description}</p>}
      {error && (
        <p class="field-error" id={err} data-testid="field-error" data-field={field.name}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The inputs of a whole form tree. */
export function SchemaFields(props: { nodes: FormNode[]; state: FieldState }) {
  return (
    <>
      {props.nodes.map((node) =>
        node.kind === "group"
          ? (
            <fieldset key={node.path} class="group">
              <legend>{node.label}</legend>
              {node.description && <p class="help">{node.description}</p>}
              <SchemaFields nodes={node.children} state={props.state} />
            </fieldset>
          )
          : <Field key={node.path} field={node} state={props.state} />
      )}
    </>
  );
}
