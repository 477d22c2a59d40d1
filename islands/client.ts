/**
 * The browser entry of the dashboard, bundled into `static/islands.js` by
 * `deno task build`: hydrates every `[data-island]` marker with its serialised props,
 * then sets `<html data-hydrated="true">`.
 * @module
 */
import { h, hydrate } from "preact";
import type { ComponentType } from "preact";
import { type IslandName, ISLANDS } from "./registry.ts";

for (const element of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const component = ISLANDS[element.dataset.island as IslandName] as unknown as
    | ComponentType<object>
    | undefined;
  if (!component) continue;
  hydrate(h(component, JSON.parse(element.dataset.props ?? "{}") as object), element);
}
document.documentElement.dataset.hydrated = "true";
