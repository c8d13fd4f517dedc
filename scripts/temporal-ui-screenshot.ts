// Screenshot of a run in the Temporal Web UI for the README, taken with Debian's Chromium:
//   npx tsx scripts/temporal-ui-screenshot.ts http://localhost:8233/namespaces/default/workflows/task-… docs/temporal-ui.png
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../src/checks/sharedChromium';

async function main([url, out = 'docs/temporal-ui.png']: string[]): Promise<void> {
  if (!url) throw new Error('usage: npx tsx scripts/temporal-ui-screenshot.ts <workflow URL> [out.png]');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: chromiumArgs,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(6000); // the UI keeps a connection open, so "network idle" never comes
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
