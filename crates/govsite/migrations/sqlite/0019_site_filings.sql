-- A site's public filings, shown beside its badge: the ICP filing and the public security
-- filing numbers (optional; kept the way the filing systems print them).
ALTER TABLE sites ADD COLUMN icp_record TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN psb_record TEXT NOT NULL DEFAULT '';
