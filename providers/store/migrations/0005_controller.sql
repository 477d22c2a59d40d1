-- 0005: state of the controller core. restart_requested is spec: `pod restart` bumps it
-- (and the generation), and the reconciler restarts the container once per bump,
-- recording restart_observed. The seen_* columns record the container run the
-- reconciler last saw (Docker's RestartCount, StartedAt, FinishedAt), so crashes that
-- Docker's restart policy healed by itself are still counted. recovery_failures counts
-- quick exits in a row; failed_generation is the generation a crash loop was declared
-- failed at (any later spec write clears it).
ALTER TABLE pods ADD COLUMN restart_requested integer NOT NULL DEFAULT 0;
ALTER TABLE pods ADD COLUMN restart_observed integer NOT NULL DEFAULT 0;
ALTER TABLE pods ADD COLUMN seen_container_id text;
ALTER TABLE pods ADD COLUMN seen_restart_count integer NOT NULL DEFAULT 0;
ALTER TABLE pods ADD COLUMN seen_started_at timestamptz;
ALTER TABLE pods ADD COLUMN seen_finished_at timestamptz;
ALTER TABLE pods ADD COLUMN recovery_failures integer NOT NULL DEFAULT 0;
ALTER TABLE pods ADD COLUMN failed_generation integer;
