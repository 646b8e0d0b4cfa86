-- POST /v1/users/{id}/verify_password with the right password for random users seeded with one.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ids = common.lines(os.getenv("BENCH_DATA") .. "/password_ids.txt")
local headers = common.headers()
local body = '{"password":"bench passphrase 7f3a"}'

request = function()
  return wrk.format("POST", "/v1/users/" .. ids[math.random(#ids)] .. "/verify_password", headers, body)
end
response = common.response
