-- Each review stage keeps its own reason per name (issue 14): before, one reason column per
-- name held whichever stage decided last, so the registry's reason overwrote the 编办's.
-- Existing reasons go to the stage that gave them. `reason_code` / `reason_text` are no longer
-- written.
ALTER TABLE application_names ADD COLUMN office_reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE application_names ADD COLUMN office_reason_text TEXT NOT NULL DEFAULT '';
ALTER TABLE application_names ADD COLUMN registry_reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE application_names ADD COLUMN registry_reason_text TEXT NOT NULL DEFAULT '';
UPDATE application_names SET registry_reason_code = reason_code, registry_reason_text = reason_text
WHERE registry_verdict <> '';
UPDATE application_names SET office_reason_code = reason_code, office_reason_text = reason_text
WHERE registry_verdict = '' AND office_verdict <> '';
-- The paper of a domain application (annexes 3/4: 「携带《域名注册申请表》(一式三份)、组织机构代码证、
-- 法人证复印件」), as its 编办 recorded receiving it.
ALTER TABLE domain_applications ADD COLUMN paper_received_on TEXT NOT NULL DEFAULT '';
ALTER TABLE domain_applications ADD COLUMN paper_copies INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_applications ADD COLUMN paper_certificates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE domain_applications ADD COLUMN paper_recorded_by TEXT NOT NULL DEFAULT '';
