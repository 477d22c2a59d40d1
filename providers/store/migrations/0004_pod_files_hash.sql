-- 0004: the fingerprint of the config files last written into each pod's volume, so
-- the reconciler rewrites them whenever what it would render differs (a config change,
-- a new trusted proxy, a newer AgentPod); '' means unknown, which is rewritten once.
ALTER TABLE pods ADD COLUMN files_hash text NOT NULL DEFAULT '';
