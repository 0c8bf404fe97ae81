package ratelimit

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Check is one bucket of an AllowAll: rule's bucket for key.
type Check struct {
	Key  string
	Rule Rule
}

// Refused returns the index of the first decision that refused, or -1 when all allowed.
func Refused(ds []Decision) int {
	for i, d := range ds {
		if !d.Allowed {
			return i
		}
	}
	return -1
}

// validateChecks reports a rule no backend can enforce, or a group that cannot be a hash tag.
func validateChecks(group string, checks []Check) error {
	if len(checks) == 0 {
		return fmt.Errorf("%w: AllowAll needs at least one check", ErrInvalid)
	}
	for _, c := range checks {
		if err := c.Rule.Validate(); err != nil {
			return err
		}
	}
	for _, r := range group {
		if r == '{' || r == '}' {
			return fmt.Errorf("%w: group %q contains a brace", ErrInvalid, group)
		}
	}
	return nil
}

// allKey is a bucket's name in an AllowAll: the group is a Redis hash tag, so every key of one
// call lives in one Cluster slot and one script may touch them all.
func allKey(group string, c Check) string {
	return "{" + group + "}:" + c.Rule.Name + ":" + c.Key
}

// AllowAll checks every bucket and spends one request of each only if all of them allow.
func (m *Memory) AllowAll(_ context.Context, group string, checks []Check) ([]Decision, error) {
	if err := validateChecks(group, checks); err != nil {
		return nil, err
	}
	now := time.Now()
	shards := make([]*memoryShard, len(checks))
	order := make([]int, len(checks))
	for i, c := range checks {
		order[i] = m.shardIndex(c.Rule.Name, allKey(group, c))
		shards[i] = &m.shards[order[i]]
	}
	// Each shard is locked once, in index order, so two calls never wait on each other in a
	// cycle.
	slices.Sort(order)
	order = slices.Compact(order)
	for _, i := range order {
		m.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range order {
			m.shards[i].mu.Unlock()
		}
	}()
	buckets := make([]*bucket, len(checks))
	all := true
	for i, c := range checks {
		buckets[i] = shards[i].bucket(bucketKey{c.Rule.Name, allKey(group, c)}, c.Rule, c.Rule.perSecond(), now)
		if buckets[i].lim.TokensAt(now) < 1 {
			all = false
		}
	}
	ds := make([]Decision, len(checks))
	for i, c := range checks {
		b, perSec := buckets[i], c.Rule.perSecond()
		tokens := b.lim.TokensAt(now)
		switch {
		case all:
			b.lim.AllowN(now, 1)
			ds[i] = tokenDecision(true, b.lim.TokensAt(now), c.Rule.Burst, perSec)
		case tokens >= 1: // had room, left untouched because another bucket refused
			ds[i] = tokenDecision(true, tokens-1, c.Rule.Burst, perSec)
		default:
			ds[i] = tokenDecision(false, tokens, c.Rule.Burst, perSec)
		}
		b.fullAt = now.Add(tokensToDuration(float64(c.Rule.Burst)-b.lim.TokensAt(now), perSec))
	}
	return ds, nil
}

// allowAllScript is redis_rate's GCRA over every key: first each key's new TAT is computed,
// and only when every key allows are they all written. ARGV holds burst, rate and period (s)
// for each key in turn. It returns, per key, {allowed, remaining, retry_after, reset_after}.
var allowAllScript = redis.NewScript(`
redis.replicate_commands()
local jan_1_2017 = 1483228800
local t = redis.call('TIME')
local now = (t[1] - jan_1_2017) + (t[2] / 1000000)
local n = #KEYS
local tats, incs, offs = {}, {}, {}
local all = true
for i = 1, n do
  local burst, rate, period = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i])
  local interval = period / rate
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  tats[i] = math.max(tat, now)
  incs[i] = interval
  offs[i] = interval * burst
  if now - (tats[i] + interval - offs[i]) < 0 then all = false end
end
local out = {}
for i = 1, n do
  local new_tat = tats[i] + incs[i]
  local diff = now - (new_tat - offs[i])
  if diff < 0 then
    out[i] = {0, 0, tostring(-diff), tostring(tats[i] - now)}
  else
    local reset = new_tat - now
    if all then
      redis.call('SET', KEYS[i], new_tat, 'EX', math.ceil(reset))
    end
    out[i] = {1, math.floor(diff / incs[i]), '-1', tostring(reset)}
  end
end
return out
`)

// AllowAll checks every bucket and spends one request of each only if all of them allow, in one
// script (one round trip, atomic).
func (r *Redis) AllowAll(ctx context.Context, group string, checks []Check) ([]Decision, error) {
	if err := validateChecks(group, checks); err != nil {
		return nil, err
	}
	keys := make([]string, len(checks))
	args := make([]any, 0, 3*len(checks))
	for i, c := range checks {
		keys[i] = r.prefix + "gcra:" + allKey(group, c)
		args = append(args, c.Rule.Burst, c.Rule.Rate, c.Rule.Period.Seconds())
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := allowAllScript.Run(ctx, r.client, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis allow all: %w", err)
	}
	if len(res) != len(checks) {
		return nil, fmt.Errorf("ratelimit: redis allow all: %d answers for %d checks", len(res), len(checks))
	}
	ds := make([]Decision, len(checks))
	for i, v := range res {
		d, err := allDecision(v, checks[i].Rule)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: redis allow all: %w", err)
		}
		ds[i] = d
	}
	return ds, nil
}

// allDecision reads one key's answer of allowAllScript.
func allDecision(v any, rule Rule) (Decision, error) {
	row, ok := v.([]any)
	if !ok || len(row) != 4 {
		return Decision{}, fmt.Errorf("unexpected answer %T", v)
	}
	allowed, _ := row[0].(int64)
	remaining, _ := row[1].(int64)
	retry, err1 := strconv.ParseFloat(fmt.Sprint(row[2]), 64)
	reset, err2 := strconv.ParseFloat(fmt.Sprint(row[3]), 64)
	if err1 != nil || err2 != nil {
		return Decision{}, fmt.Errorf("unexpected durations %v %v", row[2], row[3])
	}
	d := Decision{Allowed: allowed == 1, Limit: rule.Burst, Remaining: int(remaining), ResetAfter: seconds(reset)}
	if !d.Allowed {
		d.RetryAfter = seconds(retry)
	}
	return d, nil
}

func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// AllowAll asks the primary, or the local limiter with every rule scaled to this replica.
func (f *Fallback) AllowAll(ctx context.Context, group string, checks []Check) ([]Decision, error) {
	if f.usePrimary() {
		ds, err := f.primary.AllowAll(ctx, group, checks)
		if !f.failed(ctx, "allow", err) {
			return ds, err
		}
	}
	f.locals.Add(1)
	local := make([]Check, len(checks))
	for i, c := range checks {
		local[i] = Check{Key: c.Key, Rule: f.perReplicaRule(c.Rule)}
	}
	return f.local.AllowAll(ctx, group, local)
}
