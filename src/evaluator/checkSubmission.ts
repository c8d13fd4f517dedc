import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runChecks, type CheckRunOptions } from '../checks/runChecks';
import { findSecrets } from '../llm/modelOutput';
import type { IssuedRound, ReceivedCallback } from './ledger';

/**
 * `check`: what a course evaluator verifies of one callback — the repo at `commit_sha` (MIT
 * LICENSE, README sections, no secret anywhere in its history), `pages_url` answering 200, and the
 * task's checks (this round's and earlier rounds') in Chromium. Plain-language checks need a model
 * and are reported as skipped.
 */

const git = promisify(execFile);

export type Outcome = 'pass' | 'fail' | 'skipped';

export interface CheckItem {
  name: string;
  outcome: Outcome;
  detail?: string;
}

export interface SubmissionReport {
  task: string;
  round: number;
  commit_sha: string;
  items: CheckItem[];
}

const readmeSections: [string, RegExp][] = [
  ['summary', /^#{1,3}\s*(summary|overview|about)/im],
  ['setup', /^#{1,3}\s*(setup|installation|getting started)/im],
  ['usage', /^#{1,3}\s*usage/im],
  ['how the code works', /^#{1,3}\s*(how (the code|it) works|code explanation|architecture)/im],
  ['licence', /^#{1,3}\s*licen[cs]e/im],
];

export async function checkSubmission(
  callback: ReceivedCallback,
  issued: IssuedRound[],
  opts: Pick<CheckRunOptions, 'chromiumPath' | 'checkTimeoutMs' | 'serveLocally'>,
): Promise<SubmissionReport> {
  const items: CheckItem[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'evaluator-'));
  try {
    let cloned = true;
    try {
      await git('git', ['clone', '--quiet', '--no-checkout', callback.repo_url, dir], { timeout: 120_000 });
      await git('git', ['-C', dir, 'checkout', '--quiet', callback.commit_sha]);
      items.push({ name: 'repo cloned at commit_sha', outcome: 'pass' });
    } catch (err) {
      cloned = false;
      items.push({ name: 'repo cloned at commit_sha', outcome: 'fail', detail: firstLine(err) });
    }
    if (cloned) {
      const license = await readFile(path.join(dir, 'LICENSE'), 'utf8').catch(() => '');
      items.push(
        /MIT License/.test(license) && /Permission is hereby granted, free of charge/.test(license)
          ? { name: 'MIT LICENSE at the root', outcome: 'pass' }
          : {
              name: 'MIT LICENSE at the root',
              outcome: 'fail',
              detail: license ? 'not the MIT text' : 'no LICENSE',
            },
      );
      const readme = await readFile(path.join(dir, 'README.md'), 'utf8').catch(() => '');
      const missing = readmeSections.filter(([, heading]) => !heading.test(readme)).map(([name]) => name);
      items.push(
        !readme
          ? { name: 'README sections', outcome: 'fail', detail: 'no README.md' }
          : missing.length
            ? { name: 'README sections', outcome: 'fail', detail: `missing: ${missing.join(', ')}` }
            : { name: 'README sections', outcome: 'pass' },
      );
      const { stdout } = await git('git', ['-C', dir, 'log', '-p', '--all'], {
        maxBuffer: 256 * 1024 * 1024,
      });
      const secrets = findSecrets(stdout);
      items.push(
        secrets.length
          ? { name: 'no secrets in history', outcome: 'fail', detail: secrets.join(', ') }
          : { name: 'no secrets in history', outcome: 'pass' },
      );
    }
    const page = await fetch(callback.pages_url, { signal: AbortSignal.timeout(30_000) }).catch(
      (e: Error) => e,
    );
    items.push(
      page instanceof Error
        ? { name: 'pages_url answers 200', outcome: 'fail', detail: page.message }
        : page.status === 200
          ? { name: 'pages_url answers 200', outcome: 'pass' }
          : { name: 'pages_url answers 200', outcome: 'fail', detail: `HTTP ${page.status}` },
    );
    const checks = checksOf(callback, issued);
    if (checks.length) {
      const report = await runChecks(callback.pages_url, checks, opts);
      for (const r of report.results) {
        items.push(
          r.kind === 'text'
            ? { name: r.check, outcome: 'skipped', detail: 'plain-language check: judged by a model' }
            : {
                name: r.check,
                outcome: r.outcome === 'pass' ? 'pass' : 'fail',
                ...(r.detail ? { detail: r.detail } : {}),
              },
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { task: callback.task, round: callback.round, commit_sha: callback.commit_sha, items };
}

/** This round's checks, then earlier rounds' (evaluators re-run them), each once. */
function checksOf(callback: ReceivedCallback, issued: IssuedRound[]): string[] {
  const rounds = issued
    .filter((i) => i.task === callback.task && i.round <= callback.round)
    .sort((a, b) => b.round - a.round);
  return [...new Set(rounds.flatMap((i) => i.checks))];
}

function firstLine(err: unknown): string {
  return String((err as { stderr?: string }).stderr || (err as Error).message).split('\n')[0]!;
}
