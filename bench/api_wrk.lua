-- The load of bench/api.py: POST /api/v1/purchases/ as a till sends it (its store's API key, a random card, a
-- unique receipt id that is also the Idempotency-Key, 1-4 receipt lines), 8 connections, for wrk.
--
--   wrk -t2 -c8 -d30s -s bench/api_wrk.lua http://127.0.0.1:PORT -- DATA MODE TAG THREADS OUT
--
-- DATA: lines "key <plaintext>" (one per store), "card <number>" and "floor <first id> <last id>". MODE: "purchase"
-- (random cards, no points paid), "redeem" (each thread walks its own shuffled share of the cards, paying 25-40
-- points) or "bare…" (bench/bare.py's bare ORM transaction on a random card of the floor range). Every 2xx
-- answer's receipt id (not the bare view's) goes to OUT/<MODE>-<thread>.txt, so the benchmark can check each was
-- recorded once.
-- done() prints one line "RESULT <json>" with the counts and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

local CATEGORIES = { "coffee", "bakery", "grocery", "dairy", "household", "produce" }

function init(args)
   data, mode, tag, nthreads, out = args[1], args[2], args[3], tonumber(args[4]), args[5]
   keys, cards = {}, {}
   for line in io.lines(data) do
      local kind, value = line:match("^(%a+) (%S+)$")
      if kind == "key" then
         table.insert(keys, value)
      elseif kind == "card" then
         table.insert(cards, value)
      end
      local first, last = line:match("^floor (%d+) (%d+)$")
      if first then
         floor_first, floor_last = tonumber(first), tonumber(last)
      end
   end
   math.randomseed(id * 7919 + #tag * 104729 + os.time())
   mine, position = {}, 0
   if mode == "redeem" then
      for index = id, #cards, nthreads do
         table.insert(mine, cards[index])
      end
      for index = #mine, 2, -1 do
         local other = math.random(index)
         mine[index], mine[other] = mine[other], mine[index]
      end
   end
   counter = 0
   statuses = {}
   shown = 0
   answered = io.open(out .. "/" .. mode .. "-" .. id .. ".txt", "w")
   answered:setvbuf("line")
end

function request()
   counter = counter + 1
   if mode:sub(1, 4) == "bare" then
      local body = string.format(
         '{"card":%d,"amount":"%d.%02d"}', math.random(floor_first, floor_last), math.random(1, 200), math.random(0, 99)
      )
      return wrk.format("POST", "/bare/purchase/", { ["Content-Type"] = "application/json" }, body)
   end
   local receipt = string.format("%s-%s-%d-%d", tag, mode, id, counter)
   local card, redeem, low = nil, "", 1000
   if mode == "redeem" then
      position = position % #mine + 1
      card = mine[position]
      redeem = string.format(',"redeem_points":"%d"', math.random(25, 40))
      low = 10000 -- at least 100.00 a line: the points may pay half of the check
   else
      card = cards[math.random(#cards)]
   end
   local lines = {}
   for index = 1, math.random(4) do
      local cents = math.random(low, 50000)
      lines[index] = string.format(
         '{"sku":"sku-%d","category":"%s","quantity":"%d","amount":"%d.%02d"}',
         math.random(5000), CATEGORIES[math.random(#CATEGORIES)], math.random(3), math.floor(cents / 100), cents % 100
      )
   end
   local body = string.format(
      '{"card_number":"%s","receipt_id":"%s","lines":[%s]%s}', card, receipt, table.concat(lines, ","), redeem
   )
   local headers = {
      ["Authorization"] = "Bearer " .. keys[math.random(#keys)],
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = receipt,
   }
   return wrk.format("POST", "/api/v1/purchases/", headers, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      if mode:sub(1, 4) ~= "bare" then -- the bare view records no receipt: nothing for the receipt check
         answered:write(body:match('"receipt_id":"([^"]*)"') or "?", " ", status, "\n")
      end
   elseif shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("non-2xx answer %d: %s\n", status, body:sub(1, 400)))
   end
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[#counts + 1] = string.format('"%d":%d', status, count)
      end
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"statuses":[{%s}],"p50":%d,"p75":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(counts, "},{"),
      latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean
   ))
end
