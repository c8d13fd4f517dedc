import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import { putJson } from '../src/blobs/blobStore';
import { loadConfig } from '../src/config';
import { GitHubForge } from '../src/forge/githubForge';
import { buildActivityDeps } from '../src/worker';
import { startFakeGitHub } from '../test/fakes/githubServer';
import {
  allCalledBack,
  peakRssMb,
  percentile,
  secret,
  startService,
  taskRequest,
  type ServiceOptions,
} from './harness';

/**
 * `npm run bench [-- names…|report]`: measured, never asserted. Each benchmark writes
 * bench/results/<name>.json; BENCHMARKS.md is regenerated from all results present.
 * BENCH_SECONDS shortens the acceptance runs (default 30 s per fixed rate, at most 20 s per search probe).
 * BENCH_VARS (JSON, e.g. '{"WORKER_MAX_CACHED_WORKFLOWS":"100"}') adds service settings to benchmarks 4 and 6.
 */

interface Result {
  name: string;
  title: string;
  target: string;
  met: boolean | undefined;
  figures: Record<string, number | string>;
  note?: string;
  measuredAt: string;
}

const resultsDir = path.join(__dirname, 'results');
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const searchSeconds = Math.min(seconds, 20);
/**
 * Before each measured run, unmeasured: 3 s at 2 req/s warms the JIT, the gRPC channels and the worker,
 * and leaves almost no backlog of rounds behind.
 */
const warmup = { connections: 2, duration: 3, overallRate: 2 };

function save(result: Omit<Result, 'measuredAt'>): void {
  mkdirSync(resultsDir, { recursive: true });
  const full = { ...result, measuredAt: new Date().toISOString() };
  writeFileSync(path.join(resultsDir, `${result.name}.json`), `${JSON.stringify(full, null, 2)}\n`);
  console.log(
    `${result.title}: ${JSON.stringify(result.figures)} → ${result.met === undefined ? 'measured' : result.met ? 'met' : 'MISSED'}`,
  );
}

interface RateRun {
  p50_ms: number;
  p99_ms: number;
  achieved_rps: number;
  non2xx: number;
  errors: number;
  /** CPU each part used during the run, per answered request (the worker's is its share, not a round's cost). */
  cpu_ms_per_request: string;
}

let taskCounter = 0;

/** Offers `rate` POST /api/tasks per second for `durationS` to a fresh service, each with a new task and nonce. */
async function offer(rate: number, durationS: number, opts: ServiceOptions = {}): Promise<RateRun> {
  const service = await startService(opts);
  try {
    // autocannon 8 runs `warmup` (its own option, missing from @types/autocannon) before measuring.
    const options: autocannon.Options & { warmup: typeof warmup } = {
      url: `${service.api}/api/tasks`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections: Math.max(2, Math.min(200, Math.round(rate / 5))),
      overallRate: rate,
      duration: durationS,
      // Not in the figures: without it the first requests (gRPC connect, cold code) are a 15 s run's p99.
      warmup,
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify(taskRequest(`acc-${rate}-${++taskCounter}`, service.evaluator)),
          }),
        },
      ],
    };
    const cpuBefore = service.cpuMs();
    const run = await autocannon(options);
    const cpuAfter = service.cpuMs();
    const perRequest = (part: keyof typeof cpuBefore) =>
      ((cpuAfter[part] - cpuBefore[part]) / Math.max(1, run.requests.total)).toFixed(1);
    return {
      p50_ms: run.latency.p50,
      p99_ms: run.latency.p99,
      achieved_rps: Math.round(run.requests.average),
      non2xx: run.non2xx,
      errors: run.errors + run.timeouts,
      cpu_ms_per_request: `API ${perRequest('api')}, Temporal ${perRequest('temporal')}, worker ${perRequest('workers')}`,
    };
  } finally {
    await service.close();
  }
}

/** The acceptance target, applied to any rate: p99 ≤ 50 ms, no failed answer, the offered rate achieved. */
const withinTarget = (rate: number, r: RateRun) =>
  r.p99_ms <= 50 && r.non2xx === 0 && r.errors === 0 && r.achieved_rps >= rate * 0.95;

/**
 * The highest offered rate within target: doubling from 1 req/s until the target breaks, then bisecting.
 * Each probe is `searchSeconds` against a fresh service.
 */
async function maxSustainedRate(opts: ServiceOptions): Promise<{ rate: number; run?: RateRun }> {
  let good: { rate: number; run?: RateRun } = { rate: 0 };
  let bad = 0;
  const probe = async (rate: number) => {
    const run = await offer(rate, searchSeconds, opts);
    console.log(`  probe ${rate} req/s (${opts.workers ?? 1} worker(s)): ${JSON.stringify(run)}`);
    if (withinTarget(rate, run)) good = { rate, run };
    else bad = rate;
  };
  for (let rate = 1; rate <= 2048 && !bad; rate *= 2) await probe(rate);
  for (let i = 0; bad && bad - good.rate > 2 && i < 3; i++) await probe(Math.round((good.rate + bad) / 2));
  return good;
}

/** 1. POST /api/tasks at fixed rates with unique tasks and nonces, then the highest rate within target. */
async function acceptance(): Promise<void> {
  const figures: Record<string, number | string> = {};
  const record = (label: string, r: RateRun) => {
    for (const [k, v] of Object.entries(r)) figures[`${label}_${k}`] = v;
    console.log(`  ${label}: ${JSON.stringify(r)}`);
    return r;
  };
  record('rate100', await offer(100, seconds));
  const r300 = record('rate300', await offer(300, seconds));
  record('rate1000', await offer(1000, seconds));
  // What the API and Temporal manage alone, with no worker competing for the cores and the database.
  record('rate300_no_worker', await offer(300, seconds, { workers: 0 }));

  // The highest rate within target, for the whole service and for the hand-off alone.
  for (const [label, opts] of [
    ['max_sustained', {}],
    ['max_sustained_no_worker', { workers: 0 }],
  ] as const) {
    const best = await maxSustainedRate(opts);
    figures[`${label}_rps`] = best.rate;
    if (best.run) figures[`${label}_p99_ms`] = best.run.p99_ms;
  }
  save({
    name: 'acceptance',
    title: '1. Acceptance (POST /api/tasks)',
    target: 'p99 ≤ 50 ms at 300 req/s, zero non-2xx',
    met: r300.p99_ms <= 50 && r300.non2xx === 0 && r300.errors === 0,
    figures,
    note:
      `${seconds} s per fixed rate after an unmeasured warm-up of ${warmup.duration} s at ${warmup.overallRate} req/s, each against a fresh service whose one worker builds every accepted task meanwhile ` +
      `(zero-latency fakes, so the worker is as busy as it can be; the tasks have no checks, so no browser runs); \`rate300_no_worker\` is the same with no worker. ` +
      `Maximum sustained rate: the highest rate with p99 ≤ 50 ms, no failed answer and ≥ 95 % of the offered rate achieved ` +
      `(${searchSeconds} s probes, doubling from 1 req/s then bisecting), with one worker and with none.`,
  });
}

/** 2. POST → callback for 50 sequential rounds with zero-latency fakes, self-check off and on. */
async function orchestration(): Promise<void> {
  const figures: Record<string, number> = {};
  for (const selfCheck of [false, true]) {
    const service = await startService({ vars: { SELF_CHECK: String(selfCheck) } });
    const label = selfCheck ? 'selfcheck_on' : 'selfcheck_off';
    try {
      const times: number[] = [];
      const steps = new Map<string, number[]>();
      for (let i = 0; i < 50; i++) {
        const task = `orch-${label}-${i}`;
        const started = Date.now();
        const body = taskRequest(task, service.evaluator, {
          checks: selfCheck ? ['document.querySelector("#ok").textContent === "ok"'] : [],
        });
        await fetch(`${service.api}/api/tasks`, { method: 'POST', body: JSON.stringify(body) });
        await allCalledBack(service.evaluator, [task], 60_000);
        times.push(service.evaluator.callbacks.find((c) => c.body.task === task)!.receivedAt - started);
        const status = (await (await fetch(`${service.api}/api/tasks/${task}`)).json()) as {
          rounds: { steps: { step: string; duration_ms?: number }[] }[];
        };
        for (const s of status.rounds[0]!.steps)
          if (s.duration_ms !== undefined) steps.set(s.step, [...(steps.get(s.step) ?? []), s.duration_ms]);
      }
      figures[`${label}_median_ms`] = percentile(times, 50);
      figures[`${label}_p95_ms`] = percentile(times, 95);
      for (const [step, values] of steps) figures[`${label}_${step}_median_ms`] = percentile(values, 50);
    } finally {
      await service.close();
    }
  }
  save({
    name: 'orchestration',
    title: '2. Orchestration overhead (POST → callback, zero-latency fakes)',
    target: 'median ≤ 500 ms with self-check off',
    met: figures.selfcheck_off_median_ms! <= 500,
    figures,
    note: '50 sequential rounds each; self-check on runs one JavaScript check in Chromium.',
  });
}

/** 5. GitHub API calls for one publish of 3, 30 and 100 text files (and 3 binary files). */
async function githubCalls(): Promise<void> {
  const gh = await startFakeGitHub();
  try {
    const forge = new GitHubForge({ token: gh.token, apiUrl: gh.url, owner: undefined });
    const figures: Record<string, number> = {};
    const count = () => [...gh.calls.values()].reduce((a, b) => a + b, 0);
    for (const [label, files] of [
      ['3_files', 3],
      ['30_files', 30],
      ['100_files', 100],
    ] as const) {
      const repo = await forge.ensureRepo({ name: `calls-${label}`, description: 'bench', mustExist: false });
      const before = count();
      await forge.publish(repo, {
        title: 'bench',
        idempotencyKey: `bench-${label}`,
        files: Array.from({ length: files }, (_, i) => ({
          path: `f${i}.txt`,
          content: Buffer.from(`file ${i}\n`),
        })),
      });
      figures[label] = count() - before;
    }
    const repo = await forge.ensureRepo({ name: 'calls-binary', description: 'bench', mustExist: false });
    const before = count();
    await forge.publish(repo, {
      title: 'bench',
      idempotencyKey: 'bench-binary',
      files: Array.from({ length: 3 }, (_, i) => ({
        path: `img${i}.png`,
        content: Buffer.from([0x89, 0x50, 0, i]),
      })),
    });
    figures['3_binary_files'] = count() - before;
    save({
      name: 'github-calls',
      title: '5. GitHub calls per publish',
      target: 'independent of the number of text files',
      met: figures['3_files'] === figures['30_files'] && figures['30_files'] === figures['100_files'],
      figures,
      note: 'Counted at the local GitHub server for GitHubForge.publish; binary files cost one blob call each.',
    });
  } finally {
    await gh.close();
  }
}

/** Posts `count` round-1 tasks at once to a service on the local GitHub server; returns per-task timings. */
async function roundsAtOnce(
  count: number,
  label: string,
  opts: ServiceOptions & { github: { firstBuildMs: number; buildMs: number } },
): Promise<{
  postToCallbackMs: number[];
  lagAfterBuildMs: number[];
  lastCallbackMs: number;
  workerPeakRssMb: number[];
  settings: Record<string, string>;
}> {
  const service = await startService(opts);
  const gh = service.github!;
  try {
    const tasks = Array.from({ length: count }, (_, i) => `${label}-${i}`);
    const posted = new Map<string, number>();
    const started = Date.now();
    await Promise.all(
      tasks.map(async (task) => {
        posted.set(task, Date.now());
        const res = await fetch(`${service.api}/api/tasks`, {
          method: 'POST',
          body: JSON.stringify(taskRequest(task, service.evaluator)),
        });
        if (!res.ok) throw new Error(`${task}: POST answered ${res.status}: ${await res.text()}`);
      }),
    );
    await allCalledBack(service.evaluator, tasks, 10 * 60_000);
    const postToCallbackMs: number[] = [];
    const lagAfterBuildMs: number[] = [];
    let lastCallbackAt = 0;
    for (const task of tasks) {
      const cb = service.evaluator.callbacks.find((c) => c.body.task === task)!;
      lastCallbackAt = Math.max(lastCallbackAt, cb.receivedAt);
      postToCallbackMs.push(cb.receivedAt - posted.get(task)!);
      const build = gh.repos
        .get(`${gh.login}/${task}`)
        ?.pages?.builds.find((b) => b.commit === cb.body.commit_sha);
      if (build) lagAfterBuildMs.push(cb.receivedAt - build.readyAt);
    }
    return {
      postToCallbackMs,
      lagAfterBuildMs,
      lastCallbackMs: lastCallbackAt - started,
      workerPeakRssMb: service.workers.map(peakRssMb),
      settings: service.settings,
    };
  } finally {
    await service.close();
  }
}

/** 3. How long after the Pages build completes the callback goes out (builds take 30 s). */
async function pagesLag(): Promise<void> {
  const { lagAfterBuildMs } = await roundsAtOnce(5, 'lag', {
    github: { firstBuildMs: 30_000, buildMs: 30_000 },
  });
  const median = percentile(lagAfterBuildMs, 50);
  save({
    name: 'pages-lag',
    title: '3. Pages detection lag (callback − build completion)',
    target: 'median ≤ 1.5 s',
    met: median <= 1500,
    figures: { median_ms: median, max_ms: Math.max(...lagAfterBuildMs), rounds: lagAfterBuildMs.length },
    note: '5 rounds at once against the local GitHub server, every Pages build 30 s. The wait polls from 1 s, backing off to at most 2 s (with a 5 s cap the median lag was 3.7 s).',
  });
}

const concurrentTasks = 500;
const concurrencyLoad = {
  llmDelayMs: 20_000,
  github: { firstBuildMs: 30_000, buildMs: 30_000 },
  vars: JSON.parse(process.env.BENCH_VARS ?? '{}') as Record<string, string>,
};
/** The worker settings a run used: the defaults unless WORKER_* variables were given. */
function workerSettings(settings: Record<string, string>) {
  const { worker } = loadConfig({
    WORKER_MAX_ACTIVITIES: settings.WORKER_MAX_ACTIVITIES,
    WORKER_MAX_CACHED_WORKFLOWS: settings.WORKER_MAX_CACHED_WORKFLOWS,
  });
  return {
    WORKER_MAX_ACTIVITIES: worker.maxActivities,
    WORKER_MAX_CACHED_WORKFLOWS: worker.maxCachedWorkflows,
    SELF_CHECK: settings.SELF_CHECK ?? 'true',
  };
}

/** 4. 500 tasks at once, LLM 20 s, Pages builds 30 s, one worker. */
async function concurrency(): Promise<void> {
  const run = await roundsAtOnce(concurrentTasks, 'conc', { ...concurrencyLoad, workers: 1 });
  const rss = run.workerPeakRssMb[0]!;
  save({
    name: 'concurrency',
    title: `4. Concurrency (${concurrentTasks} tasks at once, LLM 20 s, Pages 30 s, one worker)`,
    target: 'last callback ≤ 75 s, worker peak RSS ≤ 400 MB',
    met: run.lastCallbackMs <= 75_000 && rss <= 400,
    figures: {
      last_callback_ms: run.lastCallbackMs,
      median_post_to_callback_ms: percentile(run.postToCallbackMs, 50),
      worker_peak_rss_mb: rss,
      ...workerSettings(run.settings),
    },
    note:
      'All POSTs sent at once; time runs from the first POST to the last callback. Peak RSS is the worker process’s VmHWM ' +
      '(`node dist/worker.js`, as `npm run worker` runs it). Self-check is off: these tasks have no checks. ' +
      'What limits it: one round alone takes about 41 s (5b), so the rest is queueing on the same two cores, which run ' +
      'Temporal (recording every step of 500 rounds), the API, the local servers and the worker. The worker’s memory is ' +
      'about 250 MB native (Temporal’s Rust core, sockets) plus a V8 heap that grows lazily; a smaller workflow cache or ' +
      'fewer activity slots did not lower it, a heap cap did (README, sizing a worker).',
  });
}

/** 6. Benchmark 4 again with two workers on the same Temporal server; the ratio is against benchmark 4's result. */
async function scaleOut(): Promise<void> {
  const one = JSON.parse(readFileSync(path.join(resultsDir, 'concurrency.json'), 'utf8')) as Result;
  const run = await roundsAtOnce(concurrentTasks, 'scale', { ...concurrencyLoad, workers: 2 });
  const oneWorkerMs = Number(one.figures.last_callback_ms);
  save({
    name: 'scale-out',
    title: `6. Scale-out (benchmark 4 with two workers)`,
    target: 'measured: throughput ratio vs one worker',
    met: undefined,
    figures: {
      last_callback_ms: run.lastCallbackMs,
      one_worker_last_callback_ms: oneWorkerMs,
      throughput_ratio: Math.round((oneWorkerMs / run.lastCallbackMs) * 100) / 100,
      worker_peak_rss_mb: run.workerPeakRssMb.join(' + '),
    },
    note: 'Throughput ratio = one worker’s time to the last callback ÷ two workers’ (same load, one dev server, same 2 cores).',
  });
}

/** 5b. Round-1 POST → callback with LLM 20 s, first Pages build 30 s, later builds 10 s; and the same steps in sequence. */
async function criticalPath(): Promise<void> {
  const load = { llmDelayMs: 20_000, github: { firstBuildMs: 30_000, buildMs: 10_000 } };
  const { postToCallbackMs } = await roundsAtOnce(3, 'critical', load);
  const sequentialMs = await sequentialRound(load);
  const median = percentile(postToCallbackMs, 50);
  save({
    name: 'critical-path',
    title: '5b. Critical path (LLM 20 s, first Pages build 30 s, later builds 10 s)',
    target: 'overlapped ≤ 42 s',
    met: median <= 42_000,
    figures: {
      overlapped_median_ms: median,
      overlapped_max_ms: Math.max(...postToCallbackMs),
      sequential_ms: sequentialMs,
    },
    note:
      'Overlapped: the service as it runs (Pages provisioning, whose first build is the slow one, starts while the model writes). ' +
      'The local GitHub server builds one commit at a time per site, so a commit pushed during the slow first build waits for it. ' +
      'Sequential: the same activities against the same local servers, called one after another with no Temporal in between ' +
      '(repo, generate, turn on Pages, publish, wait for Pages, call back), so its figure has less overhead than the service would.',
  });
}

/** One round's activities run in order, outside Temporal; returns start → callback received, in ms. */
async function sequentialRound(opts: ServiceOptions & { github: { firstBuildMs: number; buildMs: number } }) {
  const service = await startService({ ...opts, workers: 0 });
  const gh = service.github!;
  try {
    const config = loadConfig({ ...service.settings, GITHUB_TOKEN: gh.token, API_SECRETS: secret });
    const deps = buildActivityDeps(config);
    const acts = createActivities(deps);
    const env = new MockActivityEnvironment();
    const step = <A, R>(activity: (input: A) => Promise<R>, input: A) =>
      env.run(activity, input) as Promise<R>;
    const task = 'sequential-0';
    const started = Date.now();
    const spec = await putJson(deps.blobs, { brief: `Benchmark ${task}`, checks: [] });
    const repo = await step(acts.ensureRepo, { task, description: 'bench', mustExist: false });
    const generated = await step(acts.generateApp, { task, round: 1, spec, attachments: [], repo });
    const { pagesUrl } = await step(acts.ensurePages, { repo });
    const { commitSha } = await step(acts.publishRound, {
      repo,
      round: 1,
      nonce: `${task}-n1`,
      files: generated.files,
      attachments: [],
    });
    await step(acts.waitForPages, { repo, commitSha });
    await step(acts.notifyEvaluator, {
      evaluationUrl: `${service.evaluator.url}/cb`,
      payload: {
        email: 'bench@example.com',
        task,
        round: 1,
        nonce: `${task}-n1`,
        repo_url: repo.url,
        commit_sha: commitSha,
        pages_url: pagesUrl,
      },
    });
    await allCalledBack(service.evaluator, [task], 60_000);
    return service.evaluator.callbacks.find((c) => c.body.task === task)!.receivedAt - started;
  } finally {
    await service.close();
  }
}

/**
 * What the acceptance run measured each accepted task to cost, in CPU ms, with no worker: the ceiling
 * of task starts per second on this machine's cores, whatever the latency target.
 */
function startCeiling(results: Result[]): string {
  const costs = results.find((r) => r.name === 'acceptance')?.figures.rate300_no_worker_cpu_ms_per_request;
  const match = /API ([\d.]+), Temporal ([\d.]+)/.exec(String(costs));
  if (!match) return 'It is the ceiling in benchmark 1.';
  const [api, temporal] = [Number(match[1]), Number(match[2])];
  const ceiling = Math.round((os.cpus().length * 1000) / (api + temporal));
  return (
    `It is the ceiling in benchmark 1: with no worker at all, each accepted task cost the API ${api} ms of CPU and ` +
    `the dev server ${temporal} ms (validation, the duplicate-check query and \`signalWithStart\`), so ` +
    `${os.cpus().length} cores can start at most about ${ceiling} tasks per second before anything else runs; ` +
    `300 req/s within 50 ms is out of reach here by arithmetic, not by tuning.`
  );
}

/** What the dev server figures say about a cluster, and what benchmark 6 cannot measure here, said plainly under the table. */
function clusterNote(results: Result[]): string[] {
  return [
    '## Moving to a Temporal cluster',
    '',
    'Every figure above comes from the Temporal CLI dev server: one process with SQLite (WAL) and one history shard, sharing ' +
      `two cores with the API, the worker(s) and the local fakes. ${startCeiling(results)} It is also why a second ` +
      'worker (benchmark 6) cannot add much: both wait on the same server and the same two cores, and most of a round ' +
      'is waiting on the model and on Pages anyway.',
    '',
    'The docker-compose topology (Temporal on PostgreSQL, its UI, the API and `--scale worker=N`) changes where that ' +
      'ceiling sits, not what a round waits for. Persistence moves to Postgres on its own cores, every commit fsynced ' +
      '(stronger than the dev server’s WAL, which can lose its last transactions to a power cut), and history is split ' +
      'over shards (auto-setup’s `NUM_HISTORY_SHARDS`, 4 by default, fixed when the cluster is created; raise it for ' +
      'hundreds of starts per second). API replicas and workers then scale on separate machines. A round still takes about ' +
      'max(model, first Pages provisioning) + one Pages build, so more capacity buys concurrency, not speed per round. ' +
      'Also still per process: the rate limit (in memory, per API replica) and the round metrics (per worker). We could ' +
      'not run the compose file here (no Docker); this paragraph is expectation, not measurement.',
  ];
}

function writeReport(): void {
  const results: Result[] = [];
  for (const name of Object.keys(benchmarks)) {
    try {
      results.push(JSON.parse(readFileSync(path.join(resultsDir, `${name}.json`), 'utf8')) as Result);
    } catch {
      // not measured yet
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` from \`bench/results/*.json\`. Machine: ${os.cpus().length} × ${cpu}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}.`,
    'Real Temporal CLI dev server (SQLite), real API and worker processes, local LLM/GitHub/evaluator servers.',
    '',
    '| benchmark | target | result | figures | measured |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.title} | ${r.target} | ${r.met === undefined ? 'measured' : r.met ? 'met' : '**missed**'} | ${Object.entries(
          r.figures,
        )
          .map(([k, v]) => `${k}: ${v}`)
          .join('<br>')} | ${r.measuredAt.slice(0, 10)} |`,
    ),
    '',
    ...results.filter((r) => r.note).map((r) => `- **${r.title}**: ${r.note}`),
    '',
    ...clusterNote(results),
    '',
  ];
  writeFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), lines.join('\n'));
}

const benchmarks: Record<string, () => Promise<void>> = {
  acceptance,
  orchestration,
  'pages-lag': pagesLag,
  concurrency,
  'github-calls': githubCalls,
  'critical-path': criticalPath,
  'scale-out': scaleOut,
};

/** `npm run bench -- report` only regenerates BENCHMARKS.md from the results already measured. */
async function main(names: string[]): Promise<void> {
  const chosen = names.length ? names.filter((n) => n !== 'report') : Object.keys(benchmarks);
  for (const name of chosen) {
    const run = benchmarks[name];
    if (!run) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benchmarks).join(', ')}`);
    await run();
  }
  writeReport();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
