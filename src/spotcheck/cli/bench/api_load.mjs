// The load generator of `spotcheck bench api` (issue 17): closed-loop clients walking the pages
// of one GraphQL query over keep-alive HTTP/1.1 connections, in one Node.js process, with no
// npm packages, so that the client costs far less CPU than the server it measures.
//
// Settings come as one JSON object on stdin (a bearer token never shows on a command line):
//   {url, headers, query, connection, clients, warmup, seconds}
// `connection` names the field of `data` that holds the page ({nodes, pageInfo}).
// Each client sends one request, waits for the whole answer, checks it (HTTP 200, no `errors`),
// then sends the next with `after` set to the page's endCursor (from the first page again after
// the last).  Requests sent in the first `warmup` seconds are not counted.
//
// Output on stdout: the line `start` when the measured window opens (the caller reads the
// server's CPU then), and at the end one JSON line: every counted latency in milliseconds, the
// errors, and this process's CPU time over the window (process.cpuUsage) with the window's wall
// time, so the caller can tell whether the client was the bottleneck.

import http from "node:http";

const ERROR_SAMPLES = 5;
const REQUEST_TIMEOUT_MS = 60000;

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { ...headers, "content-length": body.length } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve([res.statusCode, Buffer.concat(chunks)]));
        res.on("error", reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

function pageOf(status, content, connection) {
  if (status !== 200) {
    throw new Error(`HTTP ${status}: ${content.subarray(0, 300).toString("utf8")}`);
  }
  const body = JSON.parse(content.toString("utf8"));
  if (body.errors) {
    throw new Error(`errors: ${JSON.stringify(body.errors).slice(0, 300)}`);
  }
  return body.data[connection];
}

async function main() {
  const cfg = JSON.parse(await readStdin());
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.clients });
  const url = new URL(cfg.url);
  const headers = { "content-type": "application/json", ...cfg.headers };
  const tally = { latencies: [], errors: 0, samples: [], restarts: 0, lastEnd: 0 };
  const now = () => performance.now();
  const t0 = now();
  const start = t0 + cfg.warmup * 1000;
  const end = start + cfg.seconds * 1000;
  let cpu0 = null;
  const timer = setTimeout(() => {
    cpu0 = process.cpuUsage();
    process.stdout.write("start\n");
  }, Math.max(0, start - now()));

  async function client() {
    let after = null;
    for (;;) {
      const sent = now();
      if (sent >= end) return;
      const counted = sent >= start;
      const body = Buffer.from(JSON.stringify({ query: cfg.query, variables: { after } }));
      let page;
      try {
        const [status, content] = await post(agent, url, headers, body);
        page = pageOf(status, content, cfg.connection);
      } catch (err) {
        if (counted) {
          tally.errors += 1;
          if (tally.samples.length < ERROR_SAMPLES) tally.samples.push(String(err).slice(0, 300));
        }
        after = null;
        continue;
      }
      const done = now();
      if (counted) {
        tally.latencies.push(Math.round((done - sent) * 1000) / 1000); // ms, to the microsecond
        if (done > tally.lastEnd) tally.lastEnd = done;
      }
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      if (after === null && counted) tally.restarts += 1;
    }
  }

  await Promise.all(Array.from({ length: cfg.clients }, client));
  clearTimeout(timer);
  const wall = (now() - start) / 1000;
  const used = cpu0 === null ? null : process.cpuUsage(cpu0);
  agent.destroy();
  const out = {
    latencies_ms: tally.latencies,
    errors: tally.errors,
    error_samples: tally.samples,
    walks_completed: tally.restarts,
    seconds: Math.max(0, (tally.lastEnd - start) / 1000),
    cpu_seconds: used === null ? null : (used.user + used.system) / 1e6,
    wall_seconds: wall,
    node: process.version,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
