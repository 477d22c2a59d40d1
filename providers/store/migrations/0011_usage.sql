-- 0011: usage, per pod and UTC day. `pod_runs` are the agent's runs as the engine's
-- start and die events tell them (exact times; a run the control plane did not see start,
-- because it was down, is taken from the container's StartedAt), so uptime and restarts
-- are computed from them, never sampled. `usage_daily` accumulates what sampling gives:
-- CPU-seconds (deltas of the container's cumulative CPU counter, whose restart at each
-- new run `usage_cursors` tells apart), memory average and peak, the volume's size, and
-- for agents that keep it, their own token and cost counts. No foreign keys: usage
-- outlives a deleted pod (it is billed).
CREATE TABLE pod_runs (
  pod_id       uuid NOT NULL,
  tenant_id    text NOT NULL,
  pod_name     text NOT NULL,
  container_id text NOT NULL,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  exit_code    integer,
  PRIMARY KEY (container_id, started_at)
);
CREATE INDEX pod_runs_pod_idx ON pod_runs (pod_id, started_at);
CREATE INDEX pod_runs_tenant_idx ON pod_runs (tenant_id, started_at);
CREATE UNIQUE INDEX pod_runs_one_open_idx ON pod_runs (container_id) WHERE ended_at IS NULL;

CREATE TABLE usage_daily (
  pod_id          uuid NOT NULL,
  day             date NOT NULL,
  tenant_id       text NOT NULL,
  pod_name        text NOT NULL,
  cpu_seconds     double precision NOT NULL DEFAULT 0,
  memory_mb_sum   double precision NOT NULL DEFAULT 0,
  memory_samples  integer NOT NULL DEFAULT 0,
  memory_peak_mb  double precision NOT NULL DEFAULT 0,
  volume_bytes    bigint,
  -- The agent's own counters for the day (OpenClaw's usage.cost), when it keeps them.
  tokens_input    bigint,
  tokens_output   bigint,
  tokens_total    bigint,
  cost_usd        double precision,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pod_id, day)
);
CREATE INDEX usage_daily_tenant_idx ON usage_daily (tenant_id, day);

CREATE TABLE usage_cursors (
  pod_id       uuid PRIMARY KEY,
  container_id text NOT NULL,
  started_at   timestamptz NOT NULL,
  cpu_seconds  double precision NOT NULL,
  sampled_at   timestamptz NOT NULL
);

ALTER TABLE pod_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pod_runs
  USING (tenant_id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON usage_daily
  USING (tenant_id = current_setting('agentpod.tenant_id', true));
GRANT SELECT ON pod_runs, usage_daily TO agentpod_tenant;
