-- Request generator for `npm run bench` (wrk), configured through environment variables:
--   BENCH_MODE    fixed (the URL's path), random, sequential, post
--   BENCH_PREFIX  first character(s) of the codes (b: links, c: cold links, u: unknown codes)
--   BENCH_COUNT   how many codes: <prefix>0000000 .. <prefix>(COUNT-1), zero-padded to 7 digits
--   BENCH_OFFSET  sequential: first code number (a later run continues where the last stopped)
--   BENCH_SEED    random: seed (each run differs unless given)
--   BENCH_BODY    post: the JSON body
--   BENCH_EXPECT  count responses whose status differs from this one (costs a Lua call per response)
--   BENCH_API_KEY sent as x-api-key when set
-- done() prints one line, `BENCH_RESULT {json}`, that bench/lib/load.mjs parses.

local mode = os.getenv("BENCH_MODE") or "fixed"
local prefix = os.getenv("BENCH_PREFIX") or "b"
local count = tonumber(os.getenv("BENCH_COUNT") or "1")
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "")
local fmt = "/" .. prefix .. "%07d"

-- Per thread (each thread has its own Lua state); read back in done() through thread:get().
seq = 0
unexpected = 0

local apiKey = os.getenv("BENCH_API_KEY") or ""
if apiKey ~= "" then wrk.headers["x-api-key"] = apiKey end

if mode == "post" then
  wrk.method = "POST"
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
elseif mode == "random" then
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "") or os.time())
  request = function()
    seq = seq + 1
    return wrk.format(nil, string.format(fmt, math.random(0, count - 1)))
  end
elseif mode == "sequential" then
  request = function()
    local path = string.format(fmt, offset + seq % count)
    seq = seq + 1
    return wrk.format(nil, path)
  end
end

if expect then
  response = function(status, headers, body)
    if status ~= expect then unexpected = unexpected + 1 end
  end
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

done = function(summary, latency, requests)
  local sent, odd = 0, 0
  for _, t in ipairs(threads) do
    sent = sent + (t:get("seq") or 0)
    odd = odd + (t:get("unexpected") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
    '"statusErrors":%d,"timeouts":%d,"unexpectedStatus":%d,"generated":%d,' ..
    '"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, odd, sent,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
