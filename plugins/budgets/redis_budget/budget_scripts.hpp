// The Lua scripts the Redis-shared budgets run with EVALSHA: each decision is one script, so
// it is atomic on the server, and it reads the time with TIME inside the script, so every
// process of the fleet sees the same clock (the server's), whatever its own says.
#pragma once

#include <string_view>

namespace recourse::plugins::redis_budget {

// KEYS[1]: the bucket, a hash {tokens, at (server time in microseconds)}.
// ARGV: capacity, refill_per_second, initial, need, want, give_back.
// Refills by the server time since `at`, adds `give_back` (tokens a process took and did not
// use), then takes between `need` and `want` tokens (as many as it holds, whole), or none when
// it holds fewer than `need`. Returns {granted, tokens left}. A bucket left alone until full is
// deleted (PEXPIRE): recreated at `initial` <= capacity, it grants no more than the full one.
inline constexpr std::string_view token_bucket_script = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local initial = tonumber(ARGV[3])
local need = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local give_back = tonumber(ARGV[6])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = initial
  at = now
end
if now > at then
  tokens = math.min(capacity, tokens + (now - at) * rate / 1000000)
end
-- a server clock that went back (a failover to a skewed replica) refills from now on, not
-- from a future instant it would first have to catch up with
at = now
tokens = math.min(capacity, tokens + give_back)
local granted = 0
-- 1e-9: small refills of an inexact rate must not leave a due token just short of whole
if need > 0 and tokens + 1e-9 >= need then
  granted = math.max(need, math.min(want, math.floor(tokens + 1e-9)))
  tokens = math.max(0, tokens - granted)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', at))
if rate > 0 then
  -- kept until a full refill is due, at most a day: a tiny rate must not overflow the argument
  redis.call('PEXPIRE', KEYS[1], math.min(math.ceil(capacity / rate * 1000), 86400000) + 1000)
end
return {granted, string.format('%.17g', tokens)}
)lua";

// KEYS[1]: the window, a hash of 10 buckets by slot s = index % 10: i<s> (the slice of server
// time it counts, in bucket widths), q<s> (calls started), r<s> (retries granted).
// ARGV: bucket_width_us, percent, reserve (100 * min_per_second * window seconds), requests
// (calls to count now), want (retries to grant, at most), then pairs (bucket index, retries)
// to uncount (granted, never run), each only while its bucket still counts that slice.
// Grants as many retries up to `want` as keep 100 * retries <= percent * requests + reserve
// over the window. Returns {granted, bucket index, retries it would still allow}.
inline constexpr std::string_view ratio_script = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local width = tonumber(ARGV[1])
local percent = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local requests = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = math.floor((tonumber(time[1]) * 1000000 + tonumber(time[2])) / width)
local flat = redis.call('HGETALL', KEYS[1])
local f = {}
for i = 1, #flat, 2 do f[flat[i]] = tonumber(flat[i + 1]) end
for i = 6, #ARGV - 1, 2 do
  local index = tonumber(ARGV[i])
  local s = index % 10
  if f['i' .. s] == index and (f['r' .. s] or 0) > 0 then
    f['r' .. s] = math.max(0, f['r' .. s] - tonumber(ARGV[i + 1]))
  end
end
local s = now % 10
if f['i' .. s] ~= now then
  f['i' .. s] = now
  f['q' .. s] = 0
  f['r' .. s] = 0
end
f['q' .. s] = (f['q' .. s] or 0) + requests
local calls, retries = 0, 0
for k = 0, 9 do
  local index = f['i' .. k]
  if index ~= nil and index > now - 10 then
    calls = calls + (f['q' .. k] or 0)
    retries = retries + (f['r' .. k] or 0)
  end
end
local granted = 0
while granted < want and 100 * (retries + granted + 1) <= percent * calls + reserve do
  granted = granted + 1
end
f['r' .. s] = (f['r' .. s] or 0) + granted
local out = {}
for k, v in pairs(f) do
  out[#out + 1] = k
  out[#out + 1] = string.format('%.0f', v)
end
redis.call('HSET', KEYS[1], unpack(out))
redis.call('PEXPIRE', KEYS[1], math.ceil(width * 10 / 1000) + 1000)
local left = (percent * calls + reserve) / 100 - (retries + granted)
return {granted, string.format('%.0f', now), string.format('%.17g', math.max(0, left))}
)lua";

}  // namespace recourse::plugins::redis_budget
