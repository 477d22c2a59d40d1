/**
 * Output formatting: aligned tables, key/value blocks, cell formats (`12%`, `256 MB`,
 * `-` for null) and the few colours (status words only). Pure: returns strings.
 * @module
 */

/** `table` for people, `json` for machines (the API's shapes, unchanged). */
export type Format = "table" | "json";

/** Colours a cell's text; identity when colour is off. */
export type Paint = (column: number, text: string) => string;

/** Spaces between table columns. */
export const COLUMN_GAP = 2;

/**
 * Renders rows under a header line, each column as wide as its widest cell, separated
 * by two spaces, with no trailing spaces. `paint` colours a cell after padding is
 * computed so escape codes never disturb the alignment.
 */
export function renderTable(
  headers: string[],
  rows: string[][],
  paint: Paint = (_column, text) => text,
  minWidths: number[] = [],
): string {
  const widths = columnWidths([headers, ...rows], minWidths);
  const line = (cells: string[], painted: boolean) =>
    cells.map((cell, i) => {
      const text = painted ? paint(i, cell) : cell;
      return i === cells.length - 1 ? text : text + " ".repeat(widths[i]! - cell.length);
    }).join(" ".repeat(COLUMN_GAP)).trimEnd() + "\n";
  return line(headers, false) + rows.map((row) => line(row, true)).join("");
}

/** Widths of the columns of `rows` (at least `minWidths`). */
export function columnWidths(rows: string[][], minWidths: number[] = []): number[] {
  const widths = [...minWidths];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return widths;
}

/** One row padded to fixed widths (for streamed tables such as `events --follow`). */
export function renderRow(cells: string[], widths: number[], paint?: Paint): string {
  return cells.map((cell, i) => {
    const text = paint ? paint(i, cell) : cell;
    const pad = Math.max(0, (widths[i] ?? 0) - cell.length);
    return i === cells.length - 1 ? text : text + " ".repeat(pad);
  }).join(" ".repeat(COLUMN_GAP)).trimEnd() + "\n";
}

/** `Key:  value` lines, values aligned. */
export function renderKeyValues(
  pairs: [string, string][],
  paint?: (key: string, value: string) => string,
): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length + 1));
  return pairs.map(([key, value]) =>
    `${(key + ":").padEnd(width)}  ${paint ? paint(key, value) : value}`.trimEnd() + "\n"
  ).join("");
}

/** JSON for `--format json`: pretty-printed with two spaces, newline-terminated. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** `-` for null or undefined, else the value as text. */
export function orDash(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  return String(value);
}

/** CPU percent: `12%`, `0.4%`, `-` when null. */
export function formatCpu(cpu: number | null | undefined): string {
  if (cpu === null || cpu === undefined || !Number.isFinite(cpu)) return "-";
  const rounded = cpu < 10 ? Math.round(cpu * 10) / 10 : Math.round(cpu);
  return `${rounded}%`;
}

/** Memory in megabytes: `256 MB`, `-` when null. */
export function formatMemory(memoryMB: number | null | undefined): string {
  if (memoryMB === null || memoryMB === undefined || !Number.isFinite(memoryMB)) return "-";
  return `${Math.round(memoryMB)} MB`;
}

/** An ISO timestamp to the second, `2026-09-06T12:00:01Z`; the input when unparseable. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return time.toISOString().slice(0, 19) + "Z";
}

const ANSI = { red: 31, green: 32, yellow: 33, dim: 2 } as const;
const WORD_COLOURS: Record<string, keyof typeof ANSI> = {
  running: "green",
  ok: "green",
  True: "green",
  starting: "yellow",
  creating: "yellow",
  pending: "yellow",
  stopping: "yellow",
  deleting: "yellow",
  Unknown: "yellow",
  stopped: "dim",
  failed: "red",
  failing: "red",
  False: "red",
  Warning: "red",
  FAIL: "red",
};

/** Colours a status word (running, failing, …) when `enabled`; other text unchanged. */
export function paintWord(text: string, enabled: boolean): string {
  const colour = WORD_COLOURS[text];
  if (!enabled || !colour) return text;
  return `\x1b[${ANSI[colour]}m${text}\x1b[0m`;
}

/** Whether to colour: stdout is a terminal and `NO_COLOR` is unset or empty. */
export function colourEnabled(
  stdoutIsTerminal: boolean,
  env: Record<string, string | undefined>,
): boolean {
  return stdoutIsTerminal && !env.NO_COLOR;
}
