/**
 * A tenant's usage page: a range of UTC days (the last 7 by default), a small bar chart
 * of CPU-seconds per day (server-rendered SVG, no script), the table per pod and day and
 * the total, and a CSV download. Parity with `agentpod usage --tenant T [--from] [--to]
 * [--format csv]`.
 * @module
 */
import type { Context, Hono } from "hono";
import { formatBytes } from "../../core/backup.ts";
import { ValidationError } from "../../core/errors.ts";
import type { DashboardSession } from "../../core/store.ts";
import { usageCsv, type UsageDay, type UsageReport } from "../../core/usage.ts";
import { readUsage } from "../../core/usage_service.ts";
import { type DashboardContext, friendlyError, page, renderPage } from "./_page.tsx";

const CHART = { width: 560, height: 140, pad: 24 };

/** Bars of CPU-seconds per day, labelled; an accessible table carries the same numbers. */
function CpuChart(props: { days: Omit<UsageDay, "pod">[] }) {
  const { width, height, pad } = CHART;
  const max = Math.max(1, ...props.days.map((d) => d.cpuSeconds));
  const slot = (width - pad) / Math.max(1, props.days.length);
  const bar = Math.max(4, Math.min(40, slot * 0.6));
  return (
    <svg
      class="usage-chart"
      viewBox={`0 0 ${width} ${height + pad}`}
      role="img"
      aria-label="CPU-seconds per day"
      data-testid="usage-chart"
    >
      <line
        x1={pad}
        y1={height}
        x2={width}
        y2={height}
        stroke="currentColor"
        stroke-opacity="0.3"
      />
      {props.days.map((d, i) => {
        const h = Math.round((d.cpuSeconds / max) * (height - 16));
        const x = pad + i * slot + (slot - bar) / 2;
        return (
          <g key={d.day} data-testid="usage-bar" data-day={d.day} data-cpu={d.cpuSeconds}>
            <rect x={x} y={height - h} width={bar} height={h} fill="#2563eb" rx="2">
              <title>{`${d.day}: ${d.cpuSeconds.toFixed(1)} CPU-seconds`}</title>
            </rect>
            <text x={x + bar / 2} y={height + 14} text-anchor="middle" font-size="10">
              {d.day.slice(5)}
            </text>
          </g>
        );
      })}
      <text x={pad} y={10} font-size="10">{`${max.toFixed(1)} s`}</text>
    </svg>
  );
}

function cells(u: Omit<UsageDay, "day" | "tenant" | "pod">) {
  return (
    <>
      <td class="num">{u.cpuSeconds.toFixed(1)}</td>
      <td class="num">
        {u.memoryAvgMb === null ? "–" : `${u.memoryAvgMb} / ${u.memoryPeakMb} MB`}
      </td>
      <td class="num">{(u.uptimeSeconds / 3600).toFixed(2)} h</td>
      <td class="num">{u.restarts}</td>
      <td class="num hide-narrow">{u.volumeBytes === null ? "–" : formatBytes(u.volumeBytes)}</td>
      <td class="num hide-narrow">{u.tokens === null ? "–" : u.tokens.total}</td>
      <td class="num hide-narrow">{u.costUsd === null ? "–" : `$${u.costUsd.toFixed(4)}`}</td>
    </>
  );
}

async function usagePage(
  c: Context,
  ctx: DashboardContext,
  session: DashboardSession,
): Promise<Response> {
  const tenant = c.req.param("tenant") ?? "";
  const query = { from: c.req.query("from") || undefined, to: c.req.query("to") || undefined };
  let report: UsageReport | undefined;
  let error: string | undefined;
  try {
    report = await readUsage(ctx.deps.store, { tenant, ...query }, Date.now());
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e; // NotFoundError: the error page says so
    error = friendlyError(e, ctx.deps.log);
  }
  const csv = `/tenants/${tenant}/usage.csv?from=${report?.from ?? ""}&to=${report?.to ?? ""}`;
  return renderPage(c, ctx, session, {
    title: `Usage of ${tenant}`,
    active: "/tenants",
    status: error ? 422 : 200,
    body: (
      <>
        <div class="page-head">
          <h1>Usage of {tenant}</h1>
          {report && <a class="button" href={csv} data-testid="usage-csv">Download CSV</a>}
        </div>
        <section class="card" aria-labelledby="range-heading">
          <h2 id="range-heading">Days (UTC)</h2>
          {error && <p class="flash flash-error" role="alert">{error}</p>}
          <form method="get" class="inline-form">
            <label>
              From <input type="date" name="from" value={report?.from ?? query.from ?? ""} />
            </label>
            <label>
              To <input type="date" name="to" value={report?.to ?? query.to ?? ""} />
            </label>
            <button type="submit" class="button">Show</button>
          </form>
        </section>
        {report && (
          <section class="card" aria-labelledby="usage-heading">
            <h2 id="usage-heading">CPU-seconds per day</h2>
            {report.days.length === 0
              ? <p class="empty">Nothing measured in these days.</p>
              : <CpuChart days={report.days} />}
            <div class="table-wrap">
              <table class="table" data-testid="usage-table">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Pod</th>
                    <th scope="col" class="num">CPU s</th>
                    <th scope="col" class="num">Memory avg / peak</th>
                    <th scope="col" class="num">Uptime</th>
                    <th scope="col" class="num">Restarts</th>
                    <th scope="col" class="num hide-narrow">Volume</th>
                    <th scope="col" class="num hide-narrow">Tokens</th>
                    <th scope="col" class="num hide-narrow">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {report.pods.map((p) => (
                    <tr key={`${p.day}/${p.pod}`} data-testid="usage-row" data-pod={p.pod}>
                      <td>{p.day}</td>
                      <td>
                        <a href={`/pods/${p.tenant}/${p.pod}`}>{p.pod}</a>
                      </td>
                      {cells(p)}
                    </tr>
                  ))}
                  <tr data-testid="usage-total">
                    <th scope="row" colSpan={2}>Total</th>
                    {cells(report.total)}
                  </tr>
                </tbody>
              </table>
            </div>
          </section>
        )}
      </>
    ),
  });
}

/** Mounts `/tenants/:tenant/usage` and its CSV. */
export function tenantUsageRoutes(app: Hono, ctx: DashboardContext): void {
  app.get("/tenants/:tenant/usage", page(ctx, (c, session) => usagePage(c, ctx, session)));
  app.get(
    "/tenants/:tenant/usage.csv",
    page(ctx, async (c) => {
      const tenant = c.req.param("tenant") ?? "";
      const report = await readUsage(ctx.deps.store, {
        tenant,
        from: c.req.query("from") || undefined,
        to: c.req.query("to") || undefined,
      }, Date.now());
      return c.body(usageCsv(report), 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition":
          `attachment; filename="agentpod-usage-${tenant}-${report.from}-${report.to}.csv"`,
      });
    }),
  );
}
