/**
 * The server side of an island: renders the component in place and wraps it in a
 * marker carrying its name and JSON props, which `islands/client.ts` hydrates.
 * Props must be serialisable (plain data, no functions).
 * @module
 */
import { h } from "preact";
import type { ComponentProps, ComponentType } from "preact";
import { type IslandName, ISLANDS } from "../islands/registry.ts";

/** An island `name` rendered with `props`. */
export function Island<N extends IslandName>(
  props: { name: N; props: ComponentProps<(typeof ISLANDS)[N]> },
) {
  // Props were checked against the island above; `h` cannot follow the name's type.
  const component = ISLANDS[props.name] as unknown as ComponentType<object>;
  return (
    <div class="island" data-island={props.name} data-props={JSON.stringify(props.props)}>
      {h(component, props.props as object)}
    </div>
  );
}
