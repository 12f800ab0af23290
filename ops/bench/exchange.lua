-- wrk script: POST /v1/token-exchange, every request with its own DPoP proof and actor token, streamed by
-- dev.signet.bench.ExchangeRequests stream (proof and actor-token jtis are single-use). env SIGNET_EXCHANGES = PREFIX:
-- wrk thread i reads the FIFO PREFIX.i, one request a line (proof TAB form body). Past the end of its file a thread
-- resends its last request, which the server refuses as a replay: counted in non2xx, so a short file shows.
-- SIGNET_DELAY_MS paces each connection, as in mint.lua.
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local file, last
function init(args)
  file = assert(io.open(os.getenv("SIGNET_EXCHANGES") .. "." .. id, "r"))
end

function request()
  local line = file:read("*l") or last
  last = line
  local tab = line:find("\t", 1, true)
  return wrk.format("POST", "/v1/token-exchange",
    {["Content-Type"] = "application/x-www-form-urlencoded", ["DPoP"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end

local pace = tonumber(os.getenv("SIGNET_DELAY_MS") or "0")
if pace > 0 then
  delay = function() return pace end
end

done = function(summary, latency, requests)
  io.write(string.format("wrk: requests=%d non2xx=%d errors=%d requests/s=%.0f p50=%.3fms p99=%.3fms p99.9=%.3fms\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
