import { isJavaScriptCheck, runChecks } from '../../src/checks/runChecks';
import { listenLocal, type LocalServer } from '../fakes/httpServer';

/** The check runner in Debian's Chromium against pages served locally. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let site: LocalServer;

const pages: Record<string, string> = {
  '/good.html': `<!doctype html><html><head><title>Orders Overview</title>
    <script src="https://cdn.jsdelivr.net/npm/fake-lib@1/lib.js"></script></head>
    <body><p id="total">42</p><p id="async">loading</p>
    <script>
      setTimeout(() => fetch('data.json').then(r => r.json()).then(d => { document.querySelector('#async').textContent = d.state; }), 2000);
    </script></body></html>`,
  '/data.json': '{"state":"ready"}',
  '/throws.html': `<!doctype html><title>t</title><p id="ok">ok</p><script src="missing.js"></script>
    <script>console.error('boom in console'); null.property;</script>`,
};

beforeAll(async () => {
  site = await listenLocal((req, res) => {
    const body = pages[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end('no');
    res
      .writeHead(200, { 'content-type': req.url!.endsWith('.json') ? 'application/json' : 'text/html' })
      .end(body);
  });
});
afterAll(() => site.close());

const cdn = (url: string) =>
  url.startsWith('https://cdn.jsdelivr.net/npm/fake-lib@1/')
    ? { body: 'window.fakeLib = 1;', contentType: 'text/javascript' }
    : undefined;

test('JavaScript checks are told from sentences', () => {
  expect(isJavaScriptCheck('document.title === "Orders Overview"')).toBe(true);
  expect(isJavaScriptCheck('(() => { return 1 })()')).toBe(true);
  expect(isJavaScriptCheck('const el = document.body; return !!el;')).toBe(true);
  expect(isJavaScriptCheck('Repo has an MIT LICENSE')).toBe(false);
  expect(isJavaScriptCheck('README.md is professional')).toBe(false);
});

test('a good page passes, including a check that only becomes true after 2 s of async work', async () => {
  const report = await runChecks(
    `${site.url}/good.html`,
    [
      'document.title === "Orders Overview"',
      'document.querySelector("#total").textContent === "42"',
      'document.querySelector("#async").textContent === "ready"',
      '(() => { const t = document.querySelector("#total"); return Number(t.textContent) > 40; })()',
      'const el = document.querySelector("#total"); return el.textContent.length === 2;',
      'await new Promise(r => setTimeout(r, 10)); return window.fakeLib === 1;',
      'README.md is professional',
    ],
    { chromiumPath, checkTimeoutMs: 6_000, serveLocally: cdn },
  );
  expect(report.httpStatus).toBe(200);
  expect(report.results.map((r) => [r.kind, r.outcome])).toEqual([
    ['js', 'pass'],
    ['js', 'pass'],
    ['js', 'pass'],
    ['js', 'pass'],
    ['js', 'pass'],
    ['js', 'pass'],
    ['text', 'not_run'],
  ]);
  expect(report.pageErrors).toEqual([]);
  expect(report.screenshot!.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
}, 30_000);

test('a broken page: errors and failed requests are recorded, failing checks say why', async () => {
  const report = await runChecks(
    `${site.url}/throws.html`,
    [
      'document.querySelector("#ok").textContent === "ok"',
      'document.title === "other"',
      'document.querySelector("#nope").textContent',
    ],
    { chromiumPath, checkTimeoutMs: 1_000 },
  );
  expect(report.results).toEqual([
    {
      check: 'document.querySelector("#ok").textContent === "ok"',
      kind: 'js',
      outcome: 'pass',
      detail: undefined,
    },
    { check: 'document.title === "other"', kind: 'js', outcome: 'fail', detail: 'evaluated to false' },
    {
      check: 'document.querySelector("#nope").textContent',
      kind: 'js',
      outcome: 'error',
      detail: expect.stringMatching(/null/),
    },
  ]);
  expect(report.pageErrors.join()).toMatch(/null/);
  expect(report.consoleErrors).toContain('boom in console');
  expect(report.failedRequests.join()).toMatch(/missing\.js \(HTTP 404\)/);
}, 30_000);
