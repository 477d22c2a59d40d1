-- 0007: pods adopted from containers AgentPod did not make (`migrate adopt`). Docker
-- cannot relabel a live container, so ownership lives here, keyed by the container id
-- (adopted_container_id: set while the pod runs that container). `adoption` records
-- what inspect showed at adoption (name, image id, state dir, hostname, container port,
-- networks, restart policy) and stays after an upgrade moved the pod to a container
-- AgentPod made (which keeps its hostname); null for pods AgentPod made from the start.
-- An adopted pod's host port is the one the container publishes, in the range or not.
ALTER TABLE pods ADD COLUMN adopted_container_id text UNIQUE;
ALTER TABLE pods ADD COLUMN adoption jsonb
  CONSTRAINT pods_adoption_object CHECK (adoption IS NULL OR jsonb_typeof(adoption) = 'object');
ALTER TABLE pods ADD CONSTRAINT pods_adopted_recorded
  CHECK (adopted_container_id IS NULL OR adoption IS NOT NULL);
