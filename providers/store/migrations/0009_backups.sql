-- 0009: backups as data. `backups` lists the archives that exist (one file each under the
-- backup directory, named by id), written only once an archive has been verified.
-- `backup_tasks` is the work: a backup, a restore or a drill, requested by any control
-- plane and carried out by the leader, its step written as it goes so a control plane
-- killed in the middle finishes or undoes it. `backup_policies` are the schedules: for
-- every pod, a tenant's pods, or one pod (the narrowest wins). No foreign keys to pods:
-- an archive outlives its pod (it is how a deleted agent comes back).
CREATE TABLE backups (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL,
  pod_id        uuid NOT NULL,
  pod_name      text NOT NULL,
  -- manual | policy | imported
  origin        text NOT NULL,
  -- agent | pause | cold (core's BACKUP_METHODS)
  method        text NOT NULL,
  adapter       text NOT NULL,
  image         text NOT NULL,
  image_id      text,
  app_version   text,
  bytes         bigint NOT NULL,
  sha256        text NOT NULL,
  entries       integer NOT NULL,
  -- How long the agent was paused or stopped for it (0: online).
  downtime_ms   integer NOT NULL DEFAULT 0,
  duration_ms   integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The last drill of this archive.
  drilled_at    timestamptz,
  drill_ok      boolean,
  drill_message text
);
CREATE INDEX backups_pod_idx ON backups (pod_id, created_at DESC);
CREATE INDEX backups_tenant_idx ON backups (tenant_id, created_at DESC);

CREATE TABLE backup_tasks (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- backup | restore | drill
  kind        text NOT NULL,
  tenant_id   text NOT NULL,
  pod_id      uuid NOT NULL,
  pod_name    text NOT NULL,
  -- backup: the archive it writes; restore and drill: the archive they read.
  backup_id   uuid NOT NULL,
  -- cold, origin, cloneFrom…
  options     jsonb NOT NULL DEFAULT '{}'
              CONSTRAINT backup_tasks_options_object CHECK (jsonb_typeof(options) = 'object'),
  -- pending | running | succeeded | failed
  state       text NOT NULL DEFAULT 'pending',
  step        text,
  message     text,
  -- What it did: pause time, new volume epoch, drill time…
  result      jsonb NOT NULL DEFAULT '{}',
  actor       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz
);
CREATE INDEX backup_tasks_unfinished_idx ON backup_tasks (created_at) WHERE finished_at IS NULL;
CREATE INDEX backup_tasks_pod_idx ON backup_tasks (pod_id, created_at DESC);

CREATE TABLE backup_policies (
  -- 'all', 'tenant:<id>' or 'pod:<uuid>': one policy per scope.
  scope       text PRIMARY KEY,
  tenant_id   text,
  pod_id      uuid,
  every_ms    bigint CONSTRAINT backup_policies_every_positive CHECK (every_ms > 0),
  cron        text,
  keep        integer NOT NULL CONSTRAINT backup_policies_keep_positive CHECK (keep > 0),
  -- Drill each new scheduled archive.
  drill       boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT backup_policies_one_schedule CHECK ((every_ms IS NULL) <> (cron IS NULL))
);

-- A tenant-scoped token reads its own tenant's backups, tasks and policies.
ALTER TABLE backups ENABLE ROW LEVEL SECURITY;
ALTER TABLE backup_tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE backup_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON backups
  USING (tenant_id = current_setting('agentpod.tenant_id', true)
    AND created_at >= (SELECT t.created_at FROM tenants t
                        WHERE t.id = current_setting('agentpod.tenant_id', true)))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON backup_tasks
  USING (tenant_id = current_setting('agentpod.tenant_id', true)
    AND created_at >= (SELECT t.created_at FROM tenants t
                        WHERE t.id = current_setting('agentpod.tenant_id', true)))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
CREATE POLICY tenant_isolation ON backup_policies
  USING (tenant_id = current_setting('agentpod.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('agentpod.tenant_id', true));
GRANT SELECT ON backups, backup_tasks, backup_policies TO agentpod_tenant;
