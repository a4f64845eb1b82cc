-- wrk script: POST a form whose body needs a fresh captcha challenge per request.
-- Reads BENCH_BODIES (a file of url-encoded bodies, one per line, each with its own challenge id),
-- gives each wrk thread its own slice, and sends them once each; when a thread runs out it wraps
-- round (those requests then fail the captcha and show up as non-2xx in the report).
-- Headers: BENCH_COOKIE (session with the CSRF secret), BENCH_HX ("1" to ask for the fragment).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    all[#all + 1] = line
  end
  local n = counter_total or tonumber(os.getenv("BENCH_THREADS"))
  bodies = {}
  for i = tid + 1, #all, n do
    bodies[#bodies + 1] = all[i]
  end
  index = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  if os.getenv("BENCH_HX") == "1" then
    wrk.headers["HX-Request"] = "true"
  end
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end
