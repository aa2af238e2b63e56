#!/usr/bin/env node
// Browser test of the offline GraphiQL page of a running server.
//
//   SCREENSHOT=/tmp/graphiql.png node graphiql.mjs http://127.0.0.1:8080
//
// Opens BASE_URL/graphiql in Debian's headless Chromium, sets a request header in
// the headers editor, runs `{ __typename }` from the query editor and waits for the
// result pane to show `"__typename": "Query"`. Every request to a host other than
// loopback is aborted and recorded, and fails the test: the page must work offline.
// With a second argument (JSON: {adminToken, talentToken, networkId, companyId}) it then
// runs a subscription from GraphiQL (token in the headers editor, which GraphiQL sends as
// the WebSocket connection_init payload), causes an event, and waits for it in the pane.
// Prints `1 passed, 0 failed` or `0 passed, 1 failed` (and exits 1).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.argv[2]?.replace(/\/+$/, '');
const live = process.argv[3] ? JSON.parse(process.argv[3]) : null;
if (!base) {
  console.error('usage: [SCREENSHOT=out.png] node graphiql.mjs <base-url>  (e.g. http://127.0.0.1:8080)');
  process.exit(2);
}

const TIMEOUT = 30_000;
const QUERY = '{ __typename }';
const EXPECTED = '"__typename": "Query"';
// A header set through the headers editor must arrive with the query's POST.
const HEADER = ['x-graphiql-test', `t${process.pid}`];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const foreign = []; // non-loopback URLs the page tried to reach
const pageErrors = [];
let headerSeen = false;

function isLoopback(url) {
  const u = new URL(url);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return true; // data:, blob:, about:
  return LOOPBACK.has(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
}

// Fresh profile: no cache or cookies from an earlier run can hide a problem.
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graphiql-test-'));
let context;
let failure;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', // Debian's; no browser download needed
    headless: true,
    viewport: { width: 1280, height: 800 },
    // Quiet Chromium's own background traffic; the page's traffic is policed below.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.route('**/*', (route) => {
    const req = route.request();
    if (!isLoopback(req.url())) {
      foreign.push(req.url());
      return route.abort('blockedbyclient');
    }
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/graphql') {
      if (req.headers()[HEADER[0]] === HEADER[1] && (req.postData() ?? '').includes('__typename')) {
        headerSeen = true;
      }
    }
    return route.continue();
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  // WebSockets bypass route(); record them too.
  page.on('websocket', (ws) => isLoopback(ws.url()) || foreign.push(ws.url()));
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The page's CSP stops foreign loads before route() sees them; Chromium reports them here.
    if (msg.text().includes('Content Security Policy')) foreign.push(`(refused by CSP) ${msg.text()}`);
    else console.log(`browser console error: ${msg.text()}`);
  });

  const res = await page.goto(`${base}/graphiql`);
  if (!res?.ok()) throw new Error(`GET ${base}/graphiql answered ${res?.status()}`);

  // GraphiQL 4 uses CodeMirror 5 editors; `.CodeMirror` is each editor's root.
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
  await queryEditor.waitFor({ state: 'visible' });

  // Headers editor: open its tab, then type into the now-visible tool editor.
  await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
  const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
  await replaceText(page, headersEditor, JSON.stringify({ [HEADER[0]]: HEADER[1] }));

  // insertText (not type) so CodeMirror's bracket auto-closing cannot alter the query.
  await replaceText(page, queryEditor, QUERY);
  // GraphiQL re-parses the query 100 ms after an edit (debounced); the parsed
  // document decides HTTP vs WebSocket, so let it settle as a person would.
  await page.waitForTimeout(300);

  await page.locator('.graphiql-execute-button').click();
  try {
    await page.waitForFunction(
      (expected) => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue().includes(expected),
      EXPECTED,
    );
  } catch {
    const got = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue());
    throw new Error(`result pane never showed ${EXPECTED}; it shows: ${JSON.stringify(got)}`);
  }
  if (!headerSeen) throw new Error(`the POST /graphql did not carry the header ${HEADER[0]} set in the headers editor`);

  if (live) await runSubscription(page, headersEditor, queryEditor);

  if (process.env.SCREENSHOT) {
    await page.screenshot({ path: process.env.SCREENSHOT });
    console.log(`screenshot: ${process.env.SCREENSHOT}`);
  }
} catch (err) {
  failure = err.message.split('\n')[0];
} finally {
  await context?.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

if (foreign.length) failure ??= 'the page tried to reach non-loopback hosts';
for (const url of foreign) console.log(`blocked non-loopback request: ${url}`);
if (pageErrors.length) failure ??= 'uncaught error in the page';
for (const msg of pageErrors) console.log(`page error: ${msg}`);

if (failure) {
  console.log(`FAIL graphiql: ${failure}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`ok   graphiql: ${QUERY} answered ${EXPECTED}, header sent, no non-loopback request`);
if (live) console.log('ok   graphiql: a subscription received the inbox event over /graphql/ws');
console.log('1 passed, 0 failed');

/** Replaces a CodeMirror editor's whole content as a user would: focus, select all, insert. */
async function replaceText(page, editor, text) {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  const value = await editor.evaluate((el) => el.CodeMirror.getValue());
  if (value !== text) throw new Error(`editor holds ${JSON.stringify(value)} instead of ${JSON.stringify(text)}`);
}

/** A subscription typed into GraphiQL receives the event caused meanwhile. */
async function runSubscription(page, headersEditor, queryEditor) {
  await replaceText(page, headersEditor, JSON.stringify({ Authorization: `Bearer ${live.adminToken}` }));
  await replaceText(
    page,
    queryEditor,
    `subscription { inboxUpdated(networkId: "${live.networkId}") { kind section introRequest { status } } }`,
  );
  await page.waitForTimeout(300);
  await page.locator('.graphiql-execute-button').click();
  // Until the server follows the subscription, an event could pass it by.
  for (let i = 0; ; i++) {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('introgate_live_subscribers '));
    if (line && Number(line.split(' ')[1]) >= 1) break;
    if (i > 500) throw new Error('GraphiQL never subscribed');
    await new Promise((r) => setTimeout(r, 20));
  }
  const caused = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${live.talentToken}` },
    body: JSON.stringify({
      query: 'mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: "hi"}) { introRequest { id } } }',
      variables: { c: live.companyId },
    }),
  });
  if (!caused.ok) throw new Error(`the event's mutation answered ${caused.status}`);
  const expected = '"kind": "ADDED"';
  try {
    await page.waitForFunction(
      (expected) => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue().includes(expected),
      expected,
    );
  } catch {
    const got = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue());
    throw new Error(`the subscription never showed ${expected}; the pane shows: ${JSON.stringify(got)}`);
  }
}
