-- GET /v1/users/{id} for random seeded users.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ids = common.lines(os.getenv("BENCH_DATA") .. "/ids.txt")
local headers = common.headers()

request = function()
  return wrk.format("GET", "/v1/users/" .. ids[math.random(#ids)], headers)
end
response = common.response
