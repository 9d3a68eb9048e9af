-- wrk script for bench/run.ts: every request is a successful Street Banner
-- over-the-street postback with a CityBase id never used before, so each one is a new
-- payment (three Knack writes), never a duplicate answered from the log.
--
-- BENCH_BODY_FILE: the JSON body with __ID__ where the id goes.
-- BENCH_ID_BASE:   the first id; threads take disjoint ranges above it.
-- done() prints one line "BENCH_RESULT {json}" for run.ts to read.

local threads = {}

function setup(thread)
	thread:set("thread_index", #threads)
	table.insert(threads, thread)
end

local prefix, suffix, next_id
local headers = { ["Content-Type"] = "application/json" }

function init(args)
	local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
	local body = file:read("*a")
	file:close()
	prefix, suffix = body:match("^(.-)__ID__(.*)$")
	assert(prefix, "the body has no __ID__")
	next_id = tonumber(os.getenv("BENCH_ID_BASE")) + thread_index * 1000000000
end

function request()
	next_id = next_id + 1
	return wrk.format("POST", "/citybase_postback", headers, prefix .. next_id .. suffix)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\n',
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.status, e.connect + e.read + e.write + e.timeout))
end
