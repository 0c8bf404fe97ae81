-- The conversation list and export summarise each session from its messages' role, status and
-- time: with them in the (session_id, id) index those lookups read the index only. It replaces
-- messages_session_id (same leading key), so a message insert still updates one index of it.
CREATE INDEX messages_session_summary ON messages (session_id, id, role, status, created_at);
DROP INDEX messages_session_id;
