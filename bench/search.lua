-- GET /v1/users?<param>=<term> with substring terms that each match a handful of users;
-- SEARCH_PARAM is `query` or `email_address_query`.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local terms = common.lines(os.getenv("BENCH_DATA") .. "/terms.txt")
local headers = common.headers()
local param = os.getenv("SEARCH_PARAM")

request = function()
  return wrk.format("GET", "/v1/users?limit=10&" .. param .. "=" .. terms[math.random(#terms)], headers)
end
response = common.response
