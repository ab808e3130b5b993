-- wrk script of the ingest benchmark: POSTs JSON bodies read from a file, one body per line,
-- cycling through them (each thread starts at a different line), counts responses by status
-- class per thread, and prints one machine-readable summary line at the end.
--
--   wrk -t2 -c32 -d15s --latency --timeout 10s -H 'Authorization: Bearer KEY' \
--       -s bench/ingest/post.lua http://127.0.0.1:PORT/v1/incidents -- BODIES.jsonl
--
-- The driver (run.py) writes BODIES.jsonl; headers given with -H (Authorization) are sent on
-- every request, Content-Type and Content-Length are added here.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_index", counter)
   table.insert(threads, thread)
end

-- Per thread (each has its own Lua state).
local requests = {}
local next_index = 1
ok2xx = 0
status3xx = 0
status4xx = 0
status5xx = 0
other = 0

function init(args)
   local path = args[1]
   if path == nil then
      error("post.lua needs the body file: wrk ... -s post.lua URL -- BODIES.jsonl")
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   local file = assert(io.open(path, "r"))
   for line in file:lines() do
      if #line > 0 then
         -- Pre-formatted once: wrk.format adds wrk.headers (including -H) and Content-Length.
         table.insert(requests, wrk.format("POST", nil, nil, line))
      end
   end
   file:close()
   if #requests == 0 then
      error("no bodies in " .. path)
   end
   local index = tonumber(thread_index) or 1
   next_index = ((index - 1) * 7919) % #requests + 1
end

function request()
   local req = requests[next_index]
   next_index = next_index % #requests + 1
   return req
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok2xx = ok2xx + 1
   elseif status < 400 then
      status3xx = status3xx + 1
   elseif status < 500 then
      status4xx = status4xx + 1
      if status4xx <= 3 then
         io.stderr:write("non-2xx response " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n")
      end
   elseif status < 600 then
      status5xx = status5xx + 1
      if status5xx <= 3 then
         io.stderr:write("non-2xx response " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n")
      end
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local totals = {ok2xx = 0, status3xx = 0, status4xx = 0, status5xx = 0, other = 0}
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (tonumber(thread:get(name)) or 0)
      end
   end
   local e = summary.errors
   local parts = {
      string.format('"duration_us":%d', summary.duration),
      string.format('"requests":%d', summary.requests),
      string.format('"bytes":%d', summary.bytes),
      string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
                    e.connect, e.read, e.write, e.status, e.timeout),
      string.format('"status":{"2xx":%d,"3xx":%d,"4xx":%d,"5xx":%d,"other":%d}',
                    totals.ok2xx, totals.status3xx, totals.status4xx, totals.status5xx, totals.other),
      string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}',
                    latency.min, latency.mean, latency.stdev, latency.max,
                    latency:percentile(50), latency:percentile(90),
                    latency:percentile(99), latency:percentile(99.9)),
   }
   io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end
