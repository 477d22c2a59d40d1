-- 0006: upgrades as data. A pod pins the local image id it runs (image_id, spec; null
-- until a rollout pins it: the reference is resolved at create) and names the copy of its
-- state volume it mounts (volume_epoch, spec: an upgrade copies the state into the next
-- epoch, so the old container keeps the untouched old copy as its restore point).
-- operation_id is the lease of the long operation that owns the pod: the reconciler
-- leaves a leased pod alone. A rollout has one row per pod, written at every step, so
-- a control plane killed in the middle resumes or rolls back the pod it was on.
ALTER TABLE pods ADD COLUMN image_id text;
ALTER TABLE pods ADD COLUMN volume_epoch integer NOT NULL DEFAULT 0;
ALTER TABLE pods ADD COLUMN operation_id uuid;

CREATE TABLE rollouts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  image       text NOT NULL,
  -- Pinned by the preflight: every pod of the rollout gets exactly this image.
  image_id    text,
  -- maxUnavailable, canary, maxFailures, minReadyMs, progressDeadlineMs, allowDowngrade…
  options     jsonb NOT NULL DEFAULT '{}'
              CONSTRAINT rollouts_options_object CHECK (jsonb_typeof(options) = 'object'),
  -- States belong to core's state machine; the schema does not freeze them.
  state       text NOT NULL DEFAULT 'preflight',
  message     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE TABLE rollout_pods (
  rollout_id       uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  -- No foreign key: the history outlives a pod deleted later.
  pod_id           uuid NOT NULL,
  tenant_id        text NOT NULL,
  pod_name         text NOT NULL,
  position         integer NOT NULL,
  canary           boolean NOT NULL DEFAULT false,
  state            text NOT NULL DEFAULT 'pending',
  -- The step of an item under way: what a resumed control plane continues from.
  step             text,
  old_image        text,
  old_image_id     text,
  old_volume_epoch integer,
  old_container_id text,
  new_container_id text,
  message          text,
  started_at       timestamptz,
  stopped_at       timestamptz,
  ready_at         timestamptz,
  finished_at      timestamptz,
  PRIMARY KEY (rollout_id, pod_id)
);

CREATE INDEX rollout_pods_pod_idx ON rollout_pods (pod_id);
