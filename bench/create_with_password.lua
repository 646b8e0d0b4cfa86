-- POST /v1/users with a fresh password: breach check, argon2id hash, insert.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local headers = common.headers()
local counter = 0

request = function()
  counter = counter + 1
  local body = '{"first_name":"Hashed","password":"bench passphrase ' .. math.random(1000000000) .. '-' .. counter .. '"}'
  return wrk.format("POST", "/v1/users", headers, body)
end
response = common.response
