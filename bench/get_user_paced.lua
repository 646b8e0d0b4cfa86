-- GET /v1/users/{id} at a steady pace (each connection waits PACE_MS between requests), to
-- measure the latency an ordinary read sees while something else saturates the CPU.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ids = common.lines(os.getenv("BENCH_DATA") .. "/ids.txt")
local headers = common.headers()
local pace = tonumber(os.getenv("PACE_MS") or "10")

request = function()
  return wrk.format("GET", "/v1/users/" .. ids[math.random(#ids)], headers)
end
delay = function()
  return pace
end
response = common.response
