-- The load `make loadtest` sends with wrk. Arguments (after wrk's `--`):
--   mode cookie ids_file password threads
-- mode "mix":    60 % search, 20 % member detail, 12 % profile edit, 8 % sign-in
-- mode "search": searches only; mode "signin": sign-ins only.
-- Each thread walks its own members (no two requests edit the same one), edits members it
-- has just read (with the version it read), and counts what it sent and what was
-- acknowledged, so the database can be checked against both afterwards.

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

local names = { "jo", "ma", "jane", "gomez", "smith", "li", "garcia", "ann", "rob", "kim",
  "nguyen", "sam", "lee", "pat", "al", "maria", "jose", "chen", "da", "ev" }

function init(args)
  mode, cookie, password, nthreads = args[1], args[2], args[4], tonumber(args[5])
  ids = {}
  for line in io.lines(args[3]) do ids[#ids + 1] = line end
  next_member = 1 + thread_no
  ok_search, ok_detail, ok_edit, ok_signin, other = 0, 0, 0, 0, 0
  sent_edit, sent_signin = 0, 0
  s401, s404, s409, s422, s429, s4xx, s5xx, busy = 0, 0, 0, 0, 0, 0, 0, 0
  edits = {}
  form = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie }
  json = { ["Content-Type"] = "application/json", ["Cookie"] = cookie }
  anonymous = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  math.randomseed(os.time() + thread_no)
end

local function search()
  local q = names[math.random(#names)]
  return wrk.format("POST", "/api/members/table", form, "query%5Bq%5D=" .. q)
end

local function detail()
  local id = ids[next_member]
  next_member = next_member + nthreads
  if next_member > #ids then next_member = 1 + thread_no end
  return wrk.format("POST", "/api/members/detail", form, "id=" .. id)
end

local function edit()
  local e = table.remove(edits, 1)
  if e == nil then return detail() end
  local profile = e.profile:gsub('"city":"[^"]*"', '"city":"Loadville ' .. e.id .. '"', 1)
  sent_edit = sent_edit + 1
  local body = '{"id":' .. e.id .. ',"version":' .. e.version .. ',"profile":' .. profile .. '}'
  return wrk.format("POST", "/api/members/save_profile", json, body)
end

-- Each sign-in comes from an address of its own (the server trusts loopback as its proxy
-- here): the brakes allow one account only a few guesses in flight per address, so a
-- storm from one address would measure the brake, not the password hashing.
local function signin()
  sent_signin = sent_signin + 1
  local headers = {}
  for k, v in pairs(anonymous) do headers[k] = v end
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/auth/login", headers,
    "username=admin%40frontdesk.test&password=" .. password)
end

function request()
  if mode == "search" then return search() end
  if mode == "signin" then return signin() end
  local r = math.random(100)
  if r <= 60 then return search()
  elseif r <= 80 then return detail()
  elseif r <= 92 then return edit()
  else return signin() end
end

local function refused(status, body)
  -- A sign-in shed by the bounded hashing queue: 503 with the Busy answer, by design.
  if status == 503 and body:find('"kind":"busy"', 1, true) then busy = busy + 1
  elseif status == 401 then s401 = s401 + 1
  elseif status == 404 then s404 = s404 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 422 then s422 = s422 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else s4xx = s4xx + 1 end
end

function response(status, headers, body)
  if status ~= 200 then return refused(status, body) end
  -- A search answers with its table's HTML, as a JSON string.
  if body:sub(1, 2) == '"<' then
    ok_search = ok_search + 1
  elseif body:find('"city":"Loadville', 1, true) then
    ok_edit = ok_edit + 1
  elseif body:sub(1, 6) == '{"id":' then
    ok_detail = ok_detail + 1
    local id = tonumber(body:match('^{"id":(%d+)'))
    local version = body:match('"version":(%d+)')
    local profile = body:match('"profile":(%b{})')
    if id and version and profile and #edits < 50 then
      table.insert(edits, { id = id, version = version, profile = profile })
    end
  elseif mode == "signin" or body == "" or body == "null" then
    ok_signin = ok_signin + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t = { search = 0, detail = 0, edit = 0, signin = 0, other = 0, sent_edit = 0, sent_signin = 0,
    s401 = 0, s404 = 0, s409 = 0, s422 = 0, s429 = 0, s4xx = 0, s5xx = 0, busy = 0 }
  for _, thread in ipairs(threads) do
    t.search = t.search + thread:get("ok_search")
    t.detail = t.detail + thread:get("ok_detail")
    t.edit = t.edit + thread:get("ok_edit")
    t.signin = t.signin + thread:get("ok_signin")
    t.other = t.other + thread:get("other")
    t.sent_edit = t.sent_edit + thread:get("sent_edit")
    t.sent_signin = t.sent_signin + thread:get("sent_signin")
    for _, k in ipairs({ "s401", "s404", "s409", "s422", "s429", "s4xx", "s5xx", "busy" }) do
      t[k] = t[k] + thread:get(k)
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "connect=%d read=%d write=%d timeout=%d non2xx=%d " ..
    "search=%d detail=%d edit=%d signin=%d other=%d sent_edit=%d sent_signin=%d " ..
    "401=%d 404=%d 409=%d 422=%d 429=%d 4xx=%d 5xx=%d busy=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, e.status,
    t.search, t.detail, t.edit, t.signin, t.other, t.sent_edit, t.sent_signin,
    t.s401, t.s404, t.s409, t.s422, t.s429, t.s4xx, t.s5xx, t.busy))
end
