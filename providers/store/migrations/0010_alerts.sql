-- 0010: alerts as an outbox. An alert row is written in the same statement batch (one
-- transaction) as the event that raises it, so an alert outlives a control plane killed
-- right after the change. The leader fans each alert out into one delivery per endpoint
-- that wants it (`fanned_out`), then sends and retries the deliveries; `webhook_id` is the
-- alert's, so every retry of a delivery carries the same `webhook-id`. Alerts about one
-- subject (a pod's health, a pod's failure…: `key`) coalesce inside a window: the same
-- state again is counted on the last one sent (`coalesced`); after two sent, a change is
-- held as `trailing_type` and sent once the window ends, if it still differs.
CREATE TABLE alert_endpoints (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url         text NOT NULL,
  -- Alert types it wants; empty: all.
  events      text[] NOT NULL DEFAULT '{}',
  -- Only this tenant's alerts; null: every tenant's and the control plane's own.
  tenant_id   text,
  -- The signing secret, sealed (AES-GCM) like pod secrets.
  secret      bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  actor       text
);

CREATE TABLE alerts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- pod.failed, pod.unhealthy… (core's ALERT_TYPES) or alert.test
  type        text NOT NULL,
  tenant_id   text,
  pod_id      uuid,
  pod_name    text,
  -- What coalesces: the same key inside the window counts instead of alerting again.
  key         text NOT NULL,
  message     text NOT NULL,
  event_id    bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  coalesced   integer NOT NULL DEFAULT 0,
  last_seen   timestamptz NOT NULL DEFAULT now(),
  -- A state held back by coalescing, sent when the window ends.
  trailing_type    text,
  trailing_message text,
  -- A test alert goes to one endpoint only.
  endpoint_id uuid,
  fanned_out  boolean NOT NULL DEFAULT false
);
CREATE INDEX alerts_key_idx ON alerts (key, created_at DESC);
CREATE INDEX alerts_unfanned_idx ON alerts (created_at) WHERE NOT fanned_out;

CREATE TABLE alert_deliveries (
  alert_id        uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  endpoint_id     uuid NOT NULL REFERENCES alert_endpoints (id) ON DELETE CASCADE,
  -- pending | delivered | failed (gave up)
  state           text NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status     integer,
  last_error      text,
  delivered_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alert_id, endpoint_id)
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE state = 'pending';

-- A tenant-scoped statement may raise (and coalesce) its own tenant's alerts; it sees
-- nothing of endpoints or deliveries.
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alerts
  USING (tenant_id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
GRANT SELECT, INSERT, UPDATE ON alerts TO agentpod_tenant;
