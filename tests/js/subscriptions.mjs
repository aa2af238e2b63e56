// The `graphql-ws` client (graphql-transport-ws protocol) against a running introgate:
// a network admin follows `inboxUpdated`, a company admin `companyInboxUpdated`, while a
// talent asks for an introduction, the admin makes it, and the company accepts it.
//
// Usage: node subscriptions.mjs '<json>' with {url, adminToken, companyAdminToken,
// talentToken, networkId, companyId}; exits non-zero on the first unexpected event.

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const setup = JSON.parse(process.argv[2]);
const wsUrl = setup.url.replace(/^http/, 'ws') + '/graphql/ws';

const INBOX = `subscription($n: ID!) { inboxUpdated(networkId: $n) {
  cursor kind section counts { inNetwork outOfNetwork } introRequest { id status } } }`;
const COMPANY_INBOX = `subscription($c: ID!) { companyInboxUpdated(companyId: $c) {
  cursor kind companyCounts { awaitingDecision } introRequest { id status } } }`;

/** Subscribes; `next()` resolves with the next event's data (or rejects after 10 s). */
function follow(token, query, variables) {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const queue = [];
  const waiting = [];
  let failure = null;
  const deliver = (item) => (waiting.length ? waiting.shift()(item) : queue.push(item));
  client.subscribe(
    { query, variables },
    {
      next: (result) => deliver(result),
      error: (error) => {
        failure = error;
        deliver({ errors: [error] });
      },
      complete: () => {},
    },
  );
  return {
    client,
    next() {
      if (queue.length) return Promise.resolve(queue.shift());
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event within 10 s')), 10_000);
        waiting.push((item) => {
          clearTimeout(timer);
          resolve(item);
        });
      });
    },
    pending: () => queue.length,
  };
}

async function gql(token, query, variables) {
  const response = await fetch(setup.url + '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Until the server follows `n` subscriptions, so the next event reaches them. */
async function subscribers(n) {
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(setup.url + '/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith('introgate_live_subscribers '));
    if (line && Number(line.split(' ')[1]) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the server never had ${n} subscribers`);
}

function expect(label, actual, expected) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${label}: expected ${e}, got ${a}`);
  console.log(`ok - ${label}: ${a}`);
}

async function main() {
  const admin = follow(setup.adminToken, INBOX, { n: setup.networkId });
  const company = follow(setup.companyAdminToken, COMPANY_INBOX, { c: setup.companyId });
  await subscribers(2);

  const requested = await gql(
    setup.talentToken,
    'mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: "hi"}) { introRequest { id } userErrors { code } } }',
    { c: setup.companyId },
  );
  const id = requested.requestIntroToCompany.introRequest.id;

  const added = (await admin.next()).data.inboxUpdated;
  expect('admin: ADDED on request', [added.kind, added.section, added.introRequest.id], ['ADDED', 'IN_NETWORK', id]);
  expect('admin: counts after request', added.counts, { inNetwork: 1, outOfNetwork: 0 });

  await gql(setup.adminToken, 'mutation($r: ID!) { makeIntro(input: {introRequestId: $r}) { userErrors { code } } }', { r: id });
  const removed = (await admin.next()).data.inboxUpdated;
  expect('admin: REMOVED after makeIntro', [removed.kind, removed.section, removed.introRequest.status], ['REMOVED', null, 'SENT']);
  expect('admin: counts after makeIntro', removed.counts, { inNetwork: 0, outOfNetwork: 0 });

  const delivered = (await company.next()).data.companyInboxUpdated;
  expect('company: ADDED on delivery', [delivered.kind, delivered.introRequest.id], ['ADDED', id]);
  expect('company: waiting after delivery', delivered.companyCounts, { awaitingDecision: 1 });

  await gql(setup.companyAdminToken, 'mutation($r: ID!) { acceptIntro(input: {introRequestId: $r}) { userErrors { code } } }', { r: id });
  const decided = (await company.next()).data.companyInboxUpdated;
  expect('company: REMOVED after acceptIntro', [decided.kind, decided.introRequest.status], ['REMOVED', 'ACCEPTED']);
  expect('admin: nothing for a decision outside the inbox', admin.pending(), 0);

  await admin.client.dispose();
  await company.client.dispose();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`not ok - ${error.message ?? error}`);
    process.exit(1);
  },
);
