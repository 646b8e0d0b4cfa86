-- POST /v1/users/{id}/profile_image with the JPEG at IMAGE_FILE, as multipart/form-data.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local file = assert(io.open(os.getenv("IMAGE_FILE"), "rb"))
local bytes = file:read("*a")
file:close()
local boundary = "roster-bench-boundary"
local body = "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
  .. "Content-Type: image/jpeg\r\n\r\n" .. bytes .. "\r\n--" .. boundary .. "--\r\n"
local headers = common.headers()
headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary

request = function()
  return wrk.format("POST", "/v1/users/" .. os.getenv("USER_ID") .. "/profile_image", headers, body)
end
response = common.response
