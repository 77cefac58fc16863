-- wrk.lua - POST a chat request like the SDKs do, and at the end print one
-- machine-readable line for bench/clients/wrk_client.py. No response()
-- callback: that would make wrk hand every body to Lua and slow it down;
-- the wrapper checks status errors and bytes per response instead.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = os.getenv("WRK_BODY") or
  '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
