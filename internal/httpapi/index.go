package httpapi

import "html"

// indexPage is the landing page served in place of the web app when the binary was built
// without it (see web.go).
func indexPage(version string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>agentobs</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#111}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}</style></head><body>
<h1>agentobs is running</h1>
<p>Version <code>` + html.EscapeString(version) + `</code>. Send traces to <code>POST /api/v1/traces</code>
or <code>POST /api/v1/traces/batch</code> with your API key, and read one back with
<code>GET /api/v1/traces/{trace_id}</code>.</p>
<ul><li><a href="/health">/health</a>: liveness</li><li><a href="/ready">/ready</a>: store reachable</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li></ul>
</body></html>`
}
