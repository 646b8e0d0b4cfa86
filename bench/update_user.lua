-- PATCH /v1/users/{id} with a new first name for random seeded users.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ids = common.lines(os.getenv("BENCH_DATA") .. "/ids.txt")
local headers = common.headers()

request = function()
  local body = '{"first_name":"Name' .. math.random(1000000) .. '"}'
  return wrk.format("PATCH", "/v1/users/" .. ids[math.random(#ids)], headers, body)
end
response = common.response
