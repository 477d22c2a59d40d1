-- 0007: pods adopted from containers AgentPod did not make (`migrate adopt`). Docker
-- cannot relabel a live container, so ownership lives here, keyed by the container id.
-- `adoption` records what inspect showed at adoption (name, image id, state dir,
-- hostname, container port, networks, restart policy); null for pods AgentPod made.
-- An adopted pod's host port is the one the container publishes, in the range or not.
ALTER TABLE pods ADD COLUMN adopted_container_id text UNIQUE;
ALTER TABLE pods ADD COLUMN adoption jsonb
  CONSTRAINT pods_adoption_object CHECK (adoption IS NULL OR jsonb_typeof(adoption) = 'object');
ALTER TABLE pods ADD CONSTRAINT pods_adoption_pair
  CHECK ((adopted_container_id IS NULL) = (adoption IS NULL));
