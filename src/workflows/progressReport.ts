import { clip } from '../clip';
import type { RoundStatus } from '../shared';

/**
 * The Markdown the Temporal UI shows as the workflow's current details: the running (or last)
 * round's state and steps, and each self-check attempt's results, so an operator reads the story
 * without opening event payloads. Pure and deterministic: it runs inside the workflow.
 */

const icon: Record<string, string> = { pass: '✅', fail: '❌', error: '⚠️', not_run: '⏸️' };

export function progressMarkdown(task: string, rounds: RoundStatus[]): string {
  const current = rounds[rounds.length - 1];
  if (!current) return `**Task ${task}**: waiting for round 1`;
  const lines = [
    `**Task ${task}**, round ${current.round}: **${current.state}**` +
      (current.repairs ? ` · ${current.repairs} repair${current.repairs > 1 ? 's' : ''}` : ''),
    '',
  ];
  const steps = current.steps.map((s) => {
    const took =
      s.finishedAt === undefined ? 'running' : `${((s.finishedAt - s.startedAt) / 1000).toFixed(1)} s`;
    return `- ${s.step}: ${s.error ? `failed (${clip(s.error, 120)})` : took}`;
  });
  lines.push(...steps);
  for (const a of current.checkAttempts ?? []) {
    lines.push(
      '',
      `**Check attempt ${a.attempt}** (${a.commitSha.slice(0, 7)}): ${a.passed}/${a.total} passing`,
    );
    for (const r of a.results) lines.push(`- ${icon[r.outcome] ?? r.outcome} \`${clip(r.check, 80)}\``);
  }
  if (current.repairsStopped) lines.push('', `Repairs stopped: ${current.repairsStopped}`);
  if (current.lastError) lines.push('', `Last error: ${clip(current.lastError, 300)}`);
  if (current.commitSha)
    lines.push('', `Commit ${current.commitSha.slice(0, 7)} · ${current.pagesUrl ?? ''}`);
  const earlier = rounds.length - 1;
  if (earlier > 0) lines.push('', `${earlier} earlier round${earlier > 1 ? 's' : ''}`);
  return lines.join('\n');
}
