package redisbuf

import "github.com/redis/go-redis/v9"

// startScript creates the meta hash unless it exists and returns the reply's epoch, so a
// repeated Start (or one on another replica) sees the epoch of the first.
// KEYS: meta. ARGV: epoch, owner, alias, max age in ms.
var startScript = redis.NewScript(`
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch then
  return epoch
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'owner', ARGV[2], 'alias', ARGV[3], 'seq', 0, 'done', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ARGV[1]
`)

// appendScript numbers the event and adds it as entry "<seq>-0"; being one script, offsets and
// entry order cannot differ. The stream expires with the meta hash. Returns -1 for an unknown
// reply, else the offset.
// KEYS: meta, stream. ARGV: event JSON, max length, wake channel, reply id.
var appendScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return seq
`)

// finishScript sets done and adds the end marker "<seq>-1" (once), then gives both keys the
// finished TTL. Returns -1 for an unknown reply, else the alias ("" if none).
// KEYS: meta, stream. ARGV: max length, finished TTL in ms, wake channel, reply id.
var finishScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'seq', 'done', 'alias')
if not m[1] then
  return -1
end
if m[2] ~= '1' then
  redis.call('HSET', KEYS[1], 'done', 1)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], m[1] .. '-1', 'd', 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return m[3] or ''
`)

// copyScript is the write-behind of a Tiered buffer: it adds a batch of events whose offsets
// were assigned by the replica running the reply, skipping offsets already stored (a batch
// retried after a timeout that hid its success adds nothing twice), and on the last batch of
// a finished reply sets done, adds the end marker and gives both keys the finished TTL. One
// wake-up per batch. Returns -1 for an unknown reply (expired), else the last offset stored.
// KEYS: meta, stream. ARGV: max length, wake channel, reply id, finished TTL in ms (0 while
// the reply runs), then offset and event JSON for each event.
var copyScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], 'seq', 'done')
if not m[1] then
  return -1
end
local seq = tonumber(m[1])
for i = 5, #ARGV, 2 do
  local offset = tonumber(ARGV[i])
  if offset > seq then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], offset .. '-0', 'e', ARGV[i + 1])
    seq = offset
  end
end
redis.call('HSET', KEYS[1], 'seq', seq)
if ARGV[4] ~= '0' then
  if m[2] ~= '1' then
    redis.call('HSET', KEYS[1], 'done', 1)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], seq .. '-1', 'd', 1)
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
else
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return seq
`)
