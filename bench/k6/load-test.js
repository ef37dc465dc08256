// The plan's load test, for users who have k6: `k6 run -e API_KEY=... bench/k6/load-test.js`.
// `agentobs bench` runs the same shape without k6 (docs/production/SCALING.md).
//
// Each virtual user posts a trace a second, so the stages below are 100 then 200 requests
// per second. BASE_URL defaults to a local all-in-one server; in scale-out point it at the
// ingest role (or the ingress in front of it). agentobs answers 202 once a trace is durable.
import http from 'k6/http'
import { check, sleep } from 'k6'

export const options = {
  stages: [
    { duration: '2m', target: 100 }, // Ramp up
    { duration: '5m', target: 100 }, // Stay at 100
    { duration: '2m', target: 200 }, // Ramp to 200
    { duration: '5m', target: 200 }, // Stay at 200
    { duration: '2m', target: 0 }, // Ramp down
  ],
  thresholds: {
    http_req_failed: ['rate==0'],
    http_req_duration: ['p(95)<500'],
  },
}

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000'
const RUN = Date.now().toString(36)

export default function () {
  const trace = {
    trace_id: `trace_${RUN}_${__VU}_${__ITER}`,
    agent_id: 'load-test-agent',
    timestamp: new Date().toISOString(),
    input: 'Test input',
    output: 'Test output',
    latency_ms: 1200,
    model: 'gpt-4-turbo',
    tokens_input: 100,
    tokens_output: 200,
    cost_usd: 0.005,
  }

  const res = http.post(`${BASE_URL}/api/v1/traces`, JSON.stringify(trace), {
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${__ENV.API_KEY}` },
  })

  check(res, {
    'status is 202': (r) => r.status === 202,
    'response time < 500ms': (r) => r.timings.duration < 500,
  })

  sleep(1)
}
