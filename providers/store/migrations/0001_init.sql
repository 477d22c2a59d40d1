-- 0001_init: tenants, pods (spec + status), pod events, settings, API tokens, and the
-- row-level security that keeps tenants apart.
-- Applied by providers/store/migrate.ts in one transaction with its schema_migrations
-- row. Released migrations never change: put changes in a new file.
-- No BEGIN/COMMIT or CREATE INDEX CONCURRENTLY here: the migrator owns the transaction.

CREATE TABLE tenants (
  id           text PRIMARY KEY
               CONSTRAINT tenants_id_dns_label CHECK (id ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  display_name text NOT NULL DEFAULT '',
  labels       jsonb NOT NULL DEFAULT '{}'
               CONSTRAINT tenants_labels_object CHECK (jsonb_typeof(labels) = 'object'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per agent: the spec is what users ask for (bumping generation on every spec
-- write), the status is what the reconciler last saw and is written only by it.
CREATE TABLE pods (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- RESTRICT: a tenant is deleted after its pods, never with containers still running.
  tenant_id           text NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name                text NOT NULL
                      CONSTRAINT pods_name_dns_label CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
  adapter             text NOT NULL,
  image               text NOT NULL,
  config              jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT pods_config_object CHECK (jsonb_typeof(config) = 'object'),
  -- AES-256-GCM ciphertext from providers/secrets; opaque to the store.
  secrets             bytea,
  resources           jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT pods_resources_object CHECK (jsonb_typeof(resources) = 'object'),
  desired_state       text NOT NULL DEFAULT 'running'
                      CONSTRAINT pods_desired_state_known
                      CHECK (desired_state IN ('running', 'stopped', 'deleted')),
  generation          integer NOT NULL DEFAULT 1 CONSTRAINT pods_generation_positive CHECK (generation >= 1),

  observed_generation integer NOT NULL DEFAULT 0,
  -- Phases belong to core's state machine; the schema does not freeze them.
  phase               text NOT NULL DEFAULT 'Pending',
  conditions          jsonb NOT NULL DEFAULT '[]'
                      CONSTRAINT pods_conditions_array CHECK (jsonb_typeof(conditions) = 'array'),
  container_id        text,
  -- Unique across tenants: two pods can never be given the same published port.
  host_port           integer UNIQUE
                      CONSTRAINT pods_host_port_range CHECK (host_port BETWEEN 1 AND 65535),
  restart_count       integer NOT NULL DEFAULT 0,
  last_error          text,

  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  status_updated_at   timestamptz,
  -- Set with desired_state = 'deleted'; the row goes once the container is gone, and
  -- until then the name stays taken (as a terminating Kubernetes object's does).
  deleted_at          timestamptz,
  CONSTRAINT pods_tenant_name_unique UNIQUE (tenant_id, name)
);

-- The reconciler reads every pod that is not fully converged.
CREATE INDEX pods_unconverged_idx ON pods (id) WHERE observed_generation < generation;

CREATE TABLE pod_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Events outlive their pod; pod_name keeps them readable after the row is gone.
  pod_id     uuid REFERENCES pods (id) ON DELETE SET NULL,
  pod_name   text,
  type       text NOT NULL CONSTRAINT pod_events_type_known CHECK (type IN ('Normal', 'Warning')),
  reason     text NOT NULL CONSTRAINT pod_events_reason_camel CHECK (reason ~ '^[A-Z][A-Za-z0-9]*$'),
  message    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX pod_events_created_at_idx ON pod_events (created_at DESC);
CREATE INDEX pod_events_pod_idx ON pod_events (pod_id, created_at DESC);
CREATE INDEX pod_events_tenant_idx ON pod_events (tenant_id, created_at DESC);

-- Control-plane settings (Traefik backend mode, defaults…): admin only, no tenant.
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored; tenant_id NULL marks an admin token.
CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL,
  token_hash   text NOT NULL
               CONSTRAINT api_tokens_token_hash_unique UNIQUE
               CONSTRAINT api_tokens_token_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  tenant_id    text REFERENCES tenants (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);

CREATE INDEX api_tokens_tenant_idx ON api_tokens (tenant_id);

-- Row-level security. The owner (the role that ran this migration) and superusers
-- bypass it: that is the admin path. Requests with a tenant-scoped token run as
-- agentpod_tenant with agentpod.tenant_id set (SET LOCAL), and see only that tenant.
-- current_setting(..., true) is NULL or '' when unset, which matches no row.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE pods ENABLE ROW LEVEL SECURITY;
ALTER TABLE pod_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenants
  USING (id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON pods
  USING (tenant_id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON pod_events
  USING (tenant_id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON api_tokens
  USING (tenant_id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));

-- Roles are cluster-wide: another database on the same server (another AgentPod, a
-- test) may have created the role, possibly at this very moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agentpod_tenant') THEN
    BEGIN
      CREATE ROLE agentpod_tenant NOLOGIN NOSUPERUSER NOINHERIT NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  -- A non-superuser can SET ROLE only to a role it is a member of (with the SET
  -- option from PostgreSQL 16 on, which pg_has_role calls 'SET').
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'agentpod_tenant',
       CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END)
  THEN
    EXECUTE format('GRANT agentpod_tenant TO %I', current_user);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO agentpod_tenant', current_schema());
END
$$;

-- Tenants may read and rename themselves; creating and deleting tenants is admin work.
GRANT SELECT, UPDATE ON tenants TO agentpod_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE ON pods, pod_events, api_tokens TO agentpod_tenant;
GRANT USAGE ON SEQUENCE pod_events_id_seq TO agentpod_tenant;
