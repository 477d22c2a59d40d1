-- 0002: events are the audit trail; they must survive the deletion of their tenant
-- (the "TenantDeleted" event itself is written after the tenant row is gone).
ALTER TABLE pod_events DROP CONSTRAINT pod_events_tenant_id_fkey;
