-- GET /v1/users/{id}/organization_memberships for random members.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ids = common.lines(os.getenv("BENCH_DATA") .. "/member_ids.txt")
local headers = common.headers()

request = function()
  return wrk.format("GET", "/v1/users/" .. ids[math.random(#ids)] .. "/organization_memberships", headers)
end
response = common.response
