/**
 * The dashboard's static files (`static/styles.css`, the bundled `static/islands.js`),
 * served by the control plane itself: held in memory with a gzip copy, versioned by a
 * content hash in their URLs so browsers may cache them for good.
 *
 * The stylesheet is imported as text, so it is part of the module graph. The islands
 * bundle is generated (`deno task build`): the release entry point (`release.ts`) embeds
 * it with {@linkcode embedAssets}, so a compiled binary or a bundled file reads nothing
 * from disk. Run from the source tree the bundle is read from `static/`, and built once
 * here when missing; pages still work without it, only without live updates.
 * @module
 */
import type { Context } from "hono";
import type { Logger } from "../../core/logger.ts";
import styles from "../../static/styles.css" with { type: "text" };

/** Where static files live. */
export const STATIC_DIR = new URL("../../static/", import.meta.url);
/** The islands bundle's file name. */
export const BUNDLE = "islands.js";
const ENTRY = new URL("../../islands/client.ts", import.meta.url);

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
};

interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  hash: string;
  type: string;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const embedded = new Map<string, string>([["styles.css", styles]]);

/** Registers asset contents that are part of the module graph (see `release.ts`). */
export function embedAssets(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) embedded.set(name, text);
}

async function load(name: string): Promise<Asset | undefined> {
  let body: Uint8Array;
  const text = embedded.get(name);
  if (text !== undefined) {
    body = new TextEncoder().encode(text);
  } else {
    try {
      body = await Deno.readFile(new URL(name, STATIC_DIR));
    } catch {
      return undefined;
    }
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  const hash = Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    body,
    gzip: await gzip(body),
    hash,
    type: TYPES[name.split(".").pop() ?? ""] ?? "application/octet-stream",
  };
}

/** Builds the islands bundle with `deno bundle` (written atomically). */
export async function buildBundle(): Promise<void> {
  const target = new URL(BUNDLE, STATIC_DIR);
  const temp = new URL(`${BUNDLE}.${crypto.randomUUID().slice(0, 8)}.tmp`, STATIC_DIR);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform", "browser", "--minify", "-o", temp.pathname, ENTRY.pathname],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" "));
  }
  await Deno.rename(temp, target);
}

/** The served assets. */
export class StaticAssets {
  readonly #assets = new Map<string, Asset>();

  /** Loads the assets, building the bundle first when it is missing. */
  static async load(log: Logger): Promise<StaticAssets> {
    const assets = new StaticAssets();
    let bundle = await load(BUNDLE);
    if (!bundle && Deno.execPath().endsWith("deno")) {
      log.warn("dashboard bundle missing; building it", { run: "deno task build" });
      try {
        await buildBundle();
        bundle = await load(BUNDLE);
      } catch (error) {
        log.warn("dashboard bundle build failed: pages work without live updates", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (bundle) assets.#assets.set(BUNDLE, bundle);
    const css = await load("styles.css");
    if (css) assets.#assets.set("styles.css", css);
    return assets;
  }

  /** The versioned URL of an asset, or undefined when it is not there. */
  url(name: string): string | undefined {
    const asset = this.#assets.get(name);
    return asset ? `/static/${name}?v=${asset.hash}` : undefined;
  }

  /** Sizes in bytes, plain and gzipped (for benchmarks). */
  size(name: string): { bytes: number; gzip: number } | undefined {
    const asset = this.#assets.get(name);
    return asset ? { bytes: asset.body.length, gzip: asset.gzip.length } : undefined;
  }

  /** Answers `GET /static/:name`. */
  serve(c: Context): Response {
    const name = c.req.param("name") ?? "";
    const asset = this.#assets.get(name);
    if (!asset) return c.text("Not found", 404);
    const etag = `"${asset.hash}"`;
    const headers: Record<string, string> = {
      "content-type": asset.type,
      etag,
      vary: "accept-encoding",
      "cache-control": c.req.query("v") === asset.hash
        ? "public, max-age=31536000, immutable"
        : "no-cache",
    };
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      return new Response(asset.gzip as BodyInit, {
        headers: { ...headers, "content-encoding": "gzip" },
      });
    }
    return new Response(asset.body as BodyInit, { headers });
  }
}
