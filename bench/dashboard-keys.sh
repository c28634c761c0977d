#!/usr/bin/env bash
# bench/dashboard-keys.sh [KEYS] [RUNS]: how long the dashboard's keys page takes to render with
# KEYS (default 5000) routing keys in the queue, in headless Chromium (/usr/bin/chromium driven by
# playwright-core, as DashboardIT does). Starts bin/pdagentd on free ports delivering to a closed
# port (every event stays pending), posts one event per key, then loads #keys RUNS times (default 5),
# each in a fresh browser context, and prints one JSON line: times (ms from navigation to the rows
# painted), api (the keys call's ms and bytes, and the page's work after it), filterMs (a filter
# keystroke, including the 80 ms debounce), sortMs (a sort change), scrollMs (a jump of the scroll
# box), all to the rows painted; shown = rows the table stands for, rows = <tr> in the DOM.
# bench/dashboard-keys.sh 20000 3 for the large case. AGENT_HOME=DIR runs DIR/bin/pdagentd (another
# build, e.g. a worktree of the commit to compare with) under this tree's browser script.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
keys="${1:-5000}"; runs="${2:-5}"
work="$(mktemp -d)"; agent_pid=""
cleanup() { [ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
home=pdaltagent-core/target/dashboard-browser
if [ ! -f "$home/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$home"
  cp pdaltagent-core/src/test/resources/dashboard/package.json pdaltagent-core/src/test/resources/dashboard/package-lock.json "$home/"
  npm ci --prefix "$home" --no-audit --no-fund --prefer-offline >/dev/null
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"; admin_port="$(free_port)"
PDAGENTD_DATA_DIR="$work/data" PDAGENTD_HTTP_PORT="$http_port" PDAGENTD_HTTPS_PORT=0 PDAGENTD_ADMIN_PORT="$admin_port" \
  PDAGENTD_EVENTS_BASE_URL=http://127.0.0.1:9 "${AGENT_HOME:-.}/bin/pdagentd" >"$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$admin_port/healthz" >/dev/null && break; sleep 1; done
echo "posting $keys events, one per routing key"
node -e '
const [port, n] = [process.argv[1], Number(process.argv[2])];
(async () => {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => fetch("http://127.0.0.1:" + port + "/v2/enqueue", {
      method: "POST", body: JSON.stringify({ routing_key: "bench" + String(i + j).padStart(27, "0"), event_action: "trigger",
        payload: { summary: "bench", source: "bench", severity: "info" } }) }).then((r) => { if (r.status !== 202) throw new Error("HTTP " + r.status); })));
  }
})().catch((e) => { console.error(e); process.exit(1); });' "$http_port" "$keys"
NODE_PATH="$home/node_modules" node pdaltagent-core/src/test/resources/dashboard/dashboard-browser.cjs keysbench \
  "http://127.0.0.1:$admin_port" "$runs"
