/**
 * A raw HTTP/1.0 GET over TCP to 127.0.0.1, for tests that must choose the `Host`
 * header (Deno's fetch does not send a custom one): how requests reach Traefik routers.
 * @module
 */
import assert from "node:assert/strict";

/** GET `path` on 127.0.0.1:`port` with `Host: host`; resolves status and body. */
export async function httpGet(
  port: number,
  host: string,
  path = "/",
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    const request =
      `GET ${path} HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: agentpod-test\r\n${extra}\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    const raw = new TextDecoder().decode(
      chunks.reduce((all, chunk) => {
        const next = new Uint8Array(all.length + chunk.length);
        next.set(all);
        next.set(chunk, all.length);
        return next;
      }, new Uint8Array()),
    );
    const headerEnd = raw.indexOf("\r\n\r\n");
    assert.ok(headerEnd > 0, `malformed HTTP response: ${JSON.stringify(raw.slice(0, 200))}`);
    const status = Number(raw.slice(0, headerEnd).match(/^HTTP\/1\.[01] (\d{3})/)?.[1]);
    assert.ok(Number.isInteger(status), `no status line in ${JSON.stringify(raw.slice(0, 200))}`);
    return { status, body: raw.slice(headerEnd + 4) };
  } finally {
    conn.close();
  }
}
