-- wrk script: POST signing requests. env SIGNET_TOKEN = minter credential, SIGNET_BATCH = 0 or batch size.
local one = '{"sub":"agent-7","aud":"https://api.example.com","ttl":600,"scope":[{"resource":"repo:acme/widgets","actions":["read"]}]}'
local batch = tonumber(os.getenv("SIGNET_BATCH") or "0")
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SIGNET_TOKEN")
wrk.headers["Content-Type"] = "application/json"
if batch > 0 then
  local items = {}
  for i = 1, batch do items[i] = one end
  wrk.path = "/v1/tokens/batch"
  wrk.body = '{"requests":[' .. table.concat(items, ",") .. ']}'
else
  wrk.path = "/v1/tokens"
  wrk.body = one
end
-- SIGNET_DELAY_MS paces each connection (a rate of connections * 1000 / delay requests/s).
local pace = tonumber(os.getenv("SIGNET_DELAY_MS") or "0")
if pace > 0 then
  delay = function() return pace end
end
local bad = 0
response = function(status, headers, body)
  if status ~= 201 and status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("wrk: requests=%d non2xx=%d errors=%d requests/s=%.0f p50=%.3fms p99=%.3fms p99.9=%.3fms\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000))
end
