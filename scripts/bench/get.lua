-- wrk script: GET with optional headers from the environment (a staff session cookie, HX-Request).
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
if os.getenv("BENCH_HX") == "1" then
  wrk.headers["HX-Request"] = "true"
end
