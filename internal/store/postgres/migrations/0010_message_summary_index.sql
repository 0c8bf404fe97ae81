-- The conversation list and export summarise each session from its messages' role, status and
-- time: with them in the (session_id, id) index those lookups are index-only scans instead of
-- one heap page per message (measured: 14 → 9 buffers per row, docs/benchmarks.md Console).
-- It replaces messages_session_id (same key), so a message insert still updates one index of it.
CREATE INDEX messages_session_summary ON messages (session_id, id) INCLUDE (role, status, created_at);
DROP INDEX messages_session_id;
