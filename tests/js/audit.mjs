#!/usr/bin/env node
// GraphQL-over-HTTP conformance audit of a running server, using graphql-http's
// own audit suite (the reference implementation of the spec).
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//
// Prints one line per audit, then `N passed, M failed`, where only MUST
// failures (status "error") count as failed; SHOULD/MAY misses ("warn",
// "notice") are printed with their reason but pass. Exits 1 on any MUST failure.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-http-url>  (e.g. http://127.0.0.1:8080/graphql)');
  process.exit(2);
}

let results;
try {
  results = await auditServer({ url });
} catch (err) {
  // Thrown only on fatal problems, e.g. the server is not reachable at all.
  console.error(`audit could not run against ${url}: ${err?.cause?.message ?? err?.message ?? err}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let failed = 0;
for (const r of results) {
  console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}`);
  if (r.status === 'ok') continue;
  if (r.status === 'error') failed++;
  console.log(`       reason: ${r.reason}`);
  if (r.status === 'error' && r.response) {
    // The response is what a developer needs to fix a MUST failure.
    const body = await r.response.text().catch(() => '<unreadable body>');
    const ct = r.response.headers.get('content-type') ?? '-';
    console.log(`       response: ${r.response.status} ${ct} ${body.slice(0, 300)}`);
  }
}

console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
