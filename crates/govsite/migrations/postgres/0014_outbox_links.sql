-- A message with a one-time link keeps only what the link is for; the worker makes the link
-- when it delivers the message (so no row ever holds a usable one).
ALTER TABLE outbox ADD COLUMN link_account_id BIGINT;
ALTER TABLE outbox ADD COLUMN link_purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN link_ttl BIGINT NOT NULL DEFAULT 0;
-- Rows written before this change carry their link in the body: it is blanked, and a message
-- not yet delivered is given up (staff resend the invitation or reset link).
UPDATE outbox SET status = 'failed', last_error = '链接已作废，请重新发送'
 WHERE template IN ('activation', 'password_reset') AND status IN ('pending', 'sending');
UPDATE outbox SET body = '（此通知含一次性链接，已清除）'
 WHERE template IN ('activation', 'password_reset');
