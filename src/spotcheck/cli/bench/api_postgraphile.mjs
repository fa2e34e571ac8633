// PostGraphile 4, the peer of `spotcheck bench api` (issue 17): its HTTP handler as a library in
// one Node.js process, over the views in schema `spotcheck_bench` (api_postgraphile.py makes
// them), serving on the listening socket the bench hands over as a file descriptor.
//
// Environment: SPOTCHECK_BENCH_NODE_MODULES (the folder holding postgraphile),
// SPOTCHECK_BENCH_DATABASE_URL (a connection string; not on the command line),
// SPOTCHECK_BENCH_FD (the listening socket), SPOTCHECK_BENCH_SCHEMA.
// Production settings: no GraphiQL, no query log, no schema watching, no mutations.

import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

const env = process.env;
const require = createRequire(path.join(env.SPOTCHECK_BENCH_NODE_MODULES, "noop.js"));
const { postgraphile } = require("postgraphile");

const handler = postgraphile(env.SPOTCHECK_BENCH_DATABASE_URL, env.SPOTCHECK_BENCH_SCHEMA, {
  graphqlRoute: "/graphql",
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  disableDefaultMutations: true,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  legacyRelations: "omit",
  enableQueryBatching: false,
});

const server = http.createServer(handler);
server.keepAliveTimeout = 60000;
server.listen({ fd: Number(env.SPOTCHECK_BENCH_FD) }, () => {
  process.stderr.write("postgraphile: listening\n");
});

// The bench stops us with SIGTERM; a parent that died without it closes our stdin.
process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
