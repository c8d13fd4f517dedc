import { SharedChromium } from '../../src/checks/sharedChromium';
import { runChecks } from '../../src/checks/runChecks';
import { listenLocal, type LocalServer } from '../fakes/httpServer';

/** One Chromium shared by a worker's self-checks, in Debian's Chromium against a local page. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let site: LocalServer;
let browser: SharedChromium;

beforeAll(async () => {
  site = await listenLocal((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        '<!doctype html><title>t</title><p id="ok">ok</p><script>localStorage.visits = Number(localStorage.visits ?? 0) + 1</script>',
      );
  });
});
afterEach(() => browser?.close());
afterAll(() => site.close());

test('at most `concurrency` checks hold a context at once; the others wait their turn and all finish', async () => {
  browser = new SharedChromium(chromiumPath, 2);
  let inUse = 0;
  let mostInUse = 0;
  const waitingSeen: number[] = [];
  await Promise.all(
    Array.from({ length: 5 }, () =>
      browser.withContext(async (context) => {
        inUse++;
        mostInUse = Math.max(mostInUse, inUse);
        waitingSeen.push(browser.waiting);
        const page = await context.newPage();
        await page.goto(site.url);
        await new Promise((r) => setTimeout(r, 100));
        inUse--;
      }),
    ),
  );
  expect(mostInUse).toBe(2);
  expect(Math.max(...waitingSeen)).toBeGreaterThan(0);
  expect(browser.waiting).toBe(0);
});

test('checks that share the browser share no storage: every run sees a first visit', async () => {
  browser = new SharedChromium(chromiumPath, 2);
  const url = `${site.url}/`;
  for (let i = 0; i < 2; i++) {
    const report = await runChecks(url, ['localStorage.visits === "1"'], {
      chromiumPath,
      checkTimeoutMs: 0,
      browser,
    });
    expect(report.results[0]!.outcome).toBe('pass');
  }
});

test('a browser that died is launched again for the next check', async () => {
  browser = new SharedChromium(chromiumPath, 1);
  await browser.withContext(async (context) => {
    await context.browser()!.close();
  });
  const report = await runChecks(`${site.url}/`, ['document.querySelector("#ok").textContent === "ok"'], {
    chromiumPath,
    checkTimeoutMs: 0,
    browser,
  });
  expect(report.results[0]!.outcome).toBe('pass');
});

test('a Chromium that cannot be launched fails the check run with a clear error, and is tried again next time', async () => {
  browser = new SharedChromium('/nonexistent/chromium', 1);
  await expect(browser.withContext(async () => 'never')).rejects.toThrow(/nonexistent\/chromium/);
  await expect(browser.withContext(async () => 'never')).rejects.toThrow(/nonexistent\/chromium/);
  expect(browser.waiting).toBe(0);
});
