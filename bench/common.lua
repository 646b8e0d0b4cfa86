-- Shared by the wrk scenarios: the secret key and the lists written by seed.py.
local M = {}

function M.lines(path)
  local list = {}
  for line in io.lines(path) do
    if line ~= "" then list[#list + 1] = line end
  end
  return list
end

function M.headers()
  return {
    ["Authorization"] = "Bearer " .. os.getenv("ROSTER_SECRET_KEY"),
    ["Content-Type"] = "application/json",
  }
end

-- Any answer but 200 is an error worth seeing in the summary.
function M.response(status)
  if status ~= 200 then
    M.failures = (M.failures or 0) + 1
  end
end

return M
