/**
 * The entry point of AgentPod's shipped artifacts: the `deno compile` binary
 * (`deno task compile`) and the single-file bundle (`deno task bundle`). It is the CLI of
 * `cli.ts` with the dashboard's generated islands bundle embedded, so the artifact reads
 * nothing from the source tree: migrations, stylesheet and islands are all in its module
 * graph. Needs `deno task build` first (the tasks above depend on it); it also runs as is
 * with `deno run -A release.ts …`.
 * @module
 */
import "./providers/node_require.ts";
import islands from "./static/islands.js" with { type: "text" };
import { BUNDLE, embedAssets } from "./routes/dashboard/static_assets.ts";
import { main } from "./cli.ts";

embedAssets({ [BUNDLE]: islands });
if (import.meta.main) await main();
