import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckRunOptions } from '../checks/runChecks';
import { checkSubmission, type SubmissionReport } from './checkSubmission';
import { Ledger } from './ledger';
import { startReceiver } from './receiver';
import { junitXml, table } from './report';
import { sendRound } from './sender';
import { buildRequest, loadTaskTemplate, newSeed } from './taskTemplate';

/**
 * `npm run evaluator -- <command>`: the instructors' side of the protocol.
 *   serve  --port 9000 --dir evaluator-data
 *   send   --template examples/tasks/csv-dashboard.yaml --endpoint http://localhost:3000/api/tasks
 *          --callback http://localhost:9000/callback [--round 1] [--seed abc123] [--email] [--secret]
 *   check  --dir evaluator-data --out evaluator-results
 */

const usage = `usage: npm run evaluator -- <serve|send|check> [options]
  serve  --port 9000 --dir evaluator-data
  send   --template FILE --endpoint URL --callback URL [--round N] [--seed S] [--email E] [--secret S] [--dir D]
  check  [--dir evaluator-data] [--out evaluator-results] [--chromium /usr/bin/chromium] [--timeout 15]`;

/** Checks every received callback; writes results.json and junit.xml to `out`. */
export async function checkAll(
  dir: string,
  out: string,
  opts: Pick<CheckRunOptions, 'chromiumPath' | 'checkTimeoutMs' | 'serveLocally'>,
): Promise<SubmissionReport[]> {
  const { issued, callbacks } = await new Ledger(dir).read();
  const reports: SubmissionReport[] = [];
  for (const cb of callbacks) reports.push(await checkSubmission(cb, issued, opts));
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'results.json'), JSON.stringify(reports, null, 2));
  await writeFile(path.join(out, 'junit.xml'), junitXml(reports));
  return reports;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: '9000' },
      dir: { type: 'string', default: 'evaluator-data' },
      out: { type: 'string', default: 'evaluator-results' },
      template: { type: 'string' },
      endpoint: { type: 'string', default: 'http://localhost:3000/api/tasks' },
      callback: { type: 'string', default: 'http://localhost:9000/callback' },
      round: { type: 'string', default: '1' },
      seed: { type: 'string' },
      email: { type: 'string', default: 'student@example.com' },
      secret: { type: 'string', default: process.env.EVALUATOR_SECRET ?? 'dev' },
      chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
      timeout: { type: 'string', default: '15' },
    },
  });
  switch (command) {
    case 'serve': {
      const { url } = await startReceiver({ port: Number(values.port), dir: values.dir });
      process.stdout.write(
        `evaluator listening: POST callbacks to ${url}/callback (records in ${values.dir})\n`,
      );
      await new Promise(() => undefined);
      return 0;
    }
    case 'send': {
      if (!values.template) throw new Error('send needs --template FILE');
      const template = await loadTaskTemplate(values.template);
      const seed = values.seed ?? newSeed();
      const request = buildRequest(template, Number(values.round), {
        seed,
        email: values.email,
        secret: values.secret,
        evaluationUrl: values.callback,
      });
      const answer = await sendRound(values.endpoint, request, new Ledger(values.dir));
      process.stdout.write(
        `${request.task} round ${request.round} (seed ${seed}, nonce ${request.nonce}): HTTP ${answer.status} ${JSON.stringify(answer.body)}\n`,
      );
      return answer.status === 200 ? 0 : 1;
    }
    case 'check': {
      const reports = await checkAll(values.dir, values.out, {
        chromiumPath: values.chromium,
        checkTimeoutMs: Number(values.timeout) * 1000,
      });
      process.stdout.write(
        `${table(reports)}\nresults: ${values.out}/results.json, ${values.out}/junit.xml\n`,
      );
      return reports.some((r) => r.items.some((i) => i.outcome === 'fail')) ? 1 : 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
