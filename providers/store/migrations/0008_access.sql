-- 0008: access for teams. API tokens get a role (viewer < operator < admin), an expiry
-- and a revocation time (a revoked token's row stays: events name it). Tenant-scoped
-- tokens made before this were refused outright; they become viewers, the least power.
-- Events record who did it (`actor`: a token's name or "dashboard"; null for the
-- control plane's own work); control-plane events outside any tenant (tokens, rollouts)
-- have no tenant, which the row-level security policy already hides from every tenant.
ALTER TABLE api_tokens
  ADD COLUMN role text NOT NULL DEFAULT 'admin'
    CONSTRAINT api_tokens_role_known CHECK (role IN ('viewer', 'operator', 'admin')),
  ADD COLUMN expires_at timestamptz,
  ADD COLUMN revoked_at timestamptz;
UPDATE api_tokens SET role = 'viewer' WHERE tenant_id IS NOT NULL;
-- From now on a row that names no role is a viewer, the least power.
ALTER TABLE api_tokens ALTER COLUMN role SET DEFAULT 'viewer';
-- Events name tokens: two usable tokens never share a name (a revoked one frees it).
CREATE UNIQUE INDEX api_tokens_active_name_unique ON api_tokens (name) WHERE revoked_at IS NULL;

ALTER TABLE pod_events ADD COLUMN actor text;
ALTER TABLE pod_events ALTER COLUMN tenant_id DROP NOT NULL;
-- Events outlive their tenant (0002), so a tenant id used again must not read the audit
-- trail of the tenant that had it before: a tenant sees events from its creation on.
DROP POLICY tenant_isolation ON pod_events;
CREATE POLICY tenant_isolation ON pod_events
  USING (tenant_id = current_setting('agentpod.tenant_id', true)
    AND created_at >= (SELECT t.created_at FROM tenants t
                        WHERE t.id = current_setting('agentpod.tenant_id', true)))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));

-- A tenant's newest events, the read every tenant-scoped events request makes (the
-- policy adds tenant_id = …; the list orders by id).
CREATE INDEX pod_events_tenant_id_idx ON pod_events (tenant_id, id DESC);

-- Generic pods now run as a non-root user unless their config says otherwise; those made
-- before keep running as their image says (the same container: no recreate).
UPDATE pods SET config = config || '{"user": "image"}'::jsonb
  WHERE adapter = 'generic' AND NOT config ? 'user';
