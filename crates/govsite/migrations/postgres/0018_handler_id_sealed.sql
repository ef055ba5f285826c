-- The 经办人's ID number leaves the application form: sealed (AES-256-GCM under the secret key
-- file, the application's id in the associated data) in its own column, and blanked a time
-- after the application ends (handler_id_purged_at says when).
ALTER TABLE site_applications ADD COLUMN handler_id_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE site_applications ADD COLUMN handler_id_purged_at BIGINT;
