import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { appAnswer } from '../fakes/llmServer';
import {
  apiAnswering,
  freePort,
  startEntryPoint,
  waitFor,
  workerPolling,
  type ServiceProcess,
} from '../helpers/processes';
import { chaosSeed, seededRandom } from '../helpers/chaosSeed';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { devServerOptions } from '../helpers/temporal';

/**
 * Random kills: 20 rounds start one after another; during each, at a random moment, the worker is
 * SIGKILLed (and in 5 of them the Temporal dev server is restarted on the same database too) and a
 * fresh worker started. Afterwards: every round delivered, one repo per task, exactly one commit per
 * round (by its Nonce trailer), and no round stuck.
 */
const rounds = Number(process.env.CHAOS_KILL_ROUNDS ?? 20);
const temporalRestarts = Math.min(5, rounds);
const secret = 'kill-secret';
let world: ScriptedWorld;
let temporal: DevServer;
let dataDir: string;
let temporalPort: number;
let apiUrl: string;
let env: Record<string, string>;
let api: ServiceProcess | undefined;
const workers: ServiceProcess[] = [];

async function startWorker(): Promise<ServiceProcess> {
  const p = startEntryPoint('worker.ts', env);
  workers.push(p);
  await workerPolling(p, 'a worker');
  return p;
}

beforeAll(async () => {
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-kills-'));
  temporalPort = await freePort();
  temporal = await startDevServer(devServerOptions(dataDir, temporalPort));
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  env = {
    PORT: String(port),
    PUBLIC_BASE_URL: apiUrl,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'random-kills',
    API_SECRETS: secret,
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  api = startEntryPoint('server.ts', env);
  await apiAnswering(apiUrl);
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
  await temporal?.stop();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test(
  `${rounds} rounds, a worker SIGKILLed during each (Temporal restarted in ${temporalRestarts})`,
  async () => {
    const seed = chaosSeed('random kills');
    const random = seededRandom(seed);
    const restartAt = new Set<number>();
    while (restartAt.size < temporalRestarts) restartAt.add(Math.floor(random() * rounds));

    const tasks = Array.from({ length: rounds }, (_, i) => `kill-${seed}-${i}`);
    let worker = await startWorker();
    for (const [i, task] of tasks.entries()) {
      world.modelScripts.set(task, () => ({
        ...appAnswer({ 'index.html': `<p>${task}</p>\n`, 'README.md': `# ${task}\n` }),
        delayMs: 300 + Math.floor(random() * 1500),
      }));
      const answer = await fetch(`${apiUrl}/api/tasks`, {
        method: 'POST',
        body: JSON.stringify(world.request(task, secret)),
      });
      expect(answer.status).toBe(200);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 2500)));
      worker.child.kill('SIGKILL');
      await worker.exited;
      if (restartAt.has(i)) {
        await temporal.stop();
        temporal = await startDevServer(devServerOptions(dataDir, temporalPort));
      }
      worker = await startWorker();
    }

    // Killed activities resume after their heartbeat timeouts (generation's is a minute).
    const delivered = () =>
      new Set(world.evaluator.callbacks.filter((c) => c.answeredWith === 200).map((c) => c.body.task));
    try {
      await waitFor(
        async () => (tasks.every((t) => delivered().has(t)) ? true : undefined),
        Number(process.env.CHAOS_KILL_WAIT_MS ?? 8 * 60_000),
        `callbacks for all ${rounds} rounds`,
      );
    } catch (err) {
      // Say where the missing rounds are stuck, so a failure can be acted on.
      const missing = tasks.filter((t) => !delivered().has(t));
      const states = await Promise.all(
        missing.map(async (t) => {
          const status = (await (await fetch(`${apiUrl}/api/tasks/${t}`)).json()) as { rounds?: unknown[] };
          return `${t}: ${JSON.stringify(status.rounds?.[0] ?? status)}`;
        }),
      );
      throw new Error(`${(err as Error).message}\n${states.join('\n')}`);
    }

    const repos = readdirSync(path.join(dataDir, 'forge', 'local')).filter((d) => d.endsWith('.git'));
    expect(repos.sort()).toEqual(tasks.map((t) => `${t}.git`).sort());
    let duplicates = 0;
    for (const task of tasks) {
      const callbacks = world.callbacksFor(task).filter((c) => c.answeredWith === 200);
      // At-least-once by design: a worker killed after the evaluator answered re-sends the same callback.
      expect(new Set(callbacks.map((c) => c.body.nonce))).toEqual(new Set([`${task}-nonce-1`]));
      expect(new Set(callbacks.map((c) => c.body.commit_sha)).size).toBe(1);
      duplicates += callbacks.length - 1;
      const log = execFileSync(
        'git',
        ['--git-dir', path.join(dataDir, 'forge', 'local', `${task}.git`), 'log', '--format=%B%x00', 'main'],
        { encoding: 'utf8' },
      );
      const roundCommits = log.split('\0').filter((m) => m.includes(`Nonce: ${task}-nonce-1`));
      expect({ task, roundCommits: roundCommits.length }).toEqual({ task, roundCommits: 1 });
    }
    console.log(`random kills: ${rounds} rounds delivered; ${duplicates} callback(s) re-sent after a kill`);
  },
  15 * 60_000,
);
