-- 0003: dashboard sign-in sessions. Only the SHA-256 of a session id is stored, so a
-- copy of this table cannot be replayed as cookies; each session has its own CSRF token.
-- Admin only: no tenant, no row-level security, nothing granted to agentpod_tenant.
CREATE TABLE dashboard_sessions (
  id_hash    text PRIMARY KEY
             CONSTRAINT dashboard_sessions_id_hash_sha256 CHECK (id_hash ~ '^[0-9a-f]{64}$'),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE INDEX dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);
