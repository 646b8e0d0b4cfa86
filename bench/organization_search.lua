-- GET /v1/organizations?query=<name fragment>.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local terms = common.lines(os.getenv("BENCH_DATA") .. "/org_terms.txt")
local headers = common.headers()

request = function()
  return wrk.format("GET", "/v1/organizations?query=" .. terms[math.random(#terms)], headers)
end
response = common.response
