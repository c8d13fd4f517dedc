import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Ledger } from './evaluator/ledger';
import { startReceiver } from './evaluator/receiver';
import { sendRound } from './evaluator/sender';
import { buildRequest, loadTaskTemplate, newSeed } from './evaluator/taskTemplate';

/**
 * `npm run demo` (with `npm start` running): sends an example task with a callback receiver of its
 * own, follows the round's event stream with a progress bar, and prints where the app is and how
 * its checks went.
 */

interface RoundResult {
  state: string;
  repo_url?: string;
  commit_sha?: string;
  pages_url?: string;
  last_error?: string;
  repairs?: number;
  check_attempts?: {
    attempt: number;
    passed: number;
    total: number;
    checks: { check: string; outcome: string }[];
  }[];
}

const bar = (progress: number, width = 24) => {
  const filled = Math.round(progress * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(progress * 100)).padStart(3)}%`;
};

/** Yields each event of a Server-Sent Events response as it arrives. */
async function* serverSentEvents(res: Response): AsyncGenerator<{ event: string; data: unknown }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) as unknown };
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string', default: process.env.DEMO_API_URL ?? 'http://localhost:3000' },
      template: {
        type: 'string',
        default: path.join(__dirname, '..', 'examples', 'tasks', 'csv-dashboard.yaml'),
      },
      secret: { type: 'string', default: process.env.DEMO_SECRET ?? 'dev' },
      email: { type: 'string', default: 'demo@example.com' },
    },
  });
  const out = (text: string) => process.stdout.write(text);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-deploy-demo-'));
  const receiver = await startReceiver({ port: 0, dir });
  try {
    const template = await loadTaskTemplate(values.template);
    const request = buildRequest(template, 1, {
      seed: newSeed(),
      email: values.email,
      secret: values.secret,
      evaluationUrl: `${receiver.url}/callback`,
    });
    out(`Sending ${request.task} (round 1) to ${values.api} …\n`);
    const answer = await sendRound(`${values.api}/api/tasks`, request, new Ledger(dir), { attempts: 3 });
    const accepted = answer.body as { status?: string; uiUrl?: string; statusUrl?: string; error?: string };
    if (answer.status !== 200) {
      out(`The service refused it: HTTP ${answer.status} ${accepted.error ?? JSON.stringify(answer.body)}\n`);
      return 1;
    }
    out(`Accepted. Status: ${accepted.statusUrl}\nTemporal UI: ${accepted.uiUrl ?? '(not configured)'}\n\n`);

    const stream = await fetch(`${values.api}/api/tasks/${encodeURIComponent(request.task)}/events?round=1`);
    if (!stream.ok || !stream.body) {
      out(`Could not follow the round: HTTP ${stream.status}\n`);
      return 1;
    }
    let result: RoundResult | undefined;
    for await (const { event, data } of serverSentEvents(stream)) {
      if (event === 'progress') {
        const p = data as { progress: number; message: string };
        out(`\r\x1b[2K${bar(p.progress)} ${p.message.slice(0, 90)}`);
      } else if (event === 'result') {
        result = data as RoundResult;
      }
    }
    out('\n\n');
    if (!result) {
      out('The stream ended without a result.\n');
      return 1;
    }
    out(`State:     ${result.state}${result.last_error ? ` (${result.last_error})` : ''}\n`);
    out(`Repo:      ${result.repo_url ?? '-'}\nCommit:    ${result.commit_sha ?? '-'}\n`);
    out(`Pages:     ${result.pages_url ?? '-'}\nUI:        ${accepted.uiUrl ?? '-'}\n`);
    const last = result.check_attempts?.at(-1);
    if (last) {
      out(
        `\nChecks (attempt ${last.attempt}, ${result.repairs ?? 0} repair(s)): ${last.passed}/${last.total} passing\n`,
      );
      for (const c of last.checks)
        out(
          `  ${c.outcome === 'pass' ? '✓' : c.outcome === 'not_run' ? '-' : '✗'} ${c.check.slice(0, 100)}\n`,
        );
    }
    const callbacks = (await new Ledger(dir).read()).callbacks;
    out(`\nCallback received by the demo's evaluator: ${callbacks.length ? 'yes' : 'not yet'}\n`);
    return result.state === 'done' ? 0 : 1;
  } finally {
    receiver.server.close();
    receiver.server.closeAllConnections();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`demo failed: ${err.message}\n`);
    process.exit(1);
  },
);
