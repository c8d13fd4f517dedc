import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appAnswer, type ScriptedAnswer } from '../fakes/llmServer';
import { taskOfPrompt } from './scriptedWorld';

/**
 * A scripted model for the example tasks (examples/tasks): it answers with the hand-written apps in
 * test/fixtures/sample-apps, judges plain-language checks as passing, and — when asked to — makes
 * its first round-1 answer wrong by misspelling an id the checks read.
 */

const fixtures = path.join(__dirname, '..', 'fixtures', 'sample-apps');

/** The id each task's deliberately wrong first answer misspells. */
export const misspelt: Record<string, [string, string]> = {
  'csv-dashboard': ['order-total', 'order-totl'],
  'image-caption': ['image-size', 'image-sise'],
  'markdown-viewer': ['rendered', 'rendred'],
};

/** The example a task id is an instance of (`csv-dashboard-1a2b3c` → `csv-dashboard`). */
function exampleOf(task: string): string {
  const example = Object.keys(misspelt).find((id) => task === id || task.startsWith(`${id}-`));
  if (!example) throw new Error(`no sample app for task ${task}`);
  return example;
}

export function sampleAppFiles(task: string, round: number): Record<string, string> {
  const dir = path.join(fixtures, exampleOf(task), `round-${round}`);
  return {
    'index.html': readFileSync(path.join(dir, 'index.html'), 'utf8'),
    'README.md': readFileSync(path.join(dir, 'README.md'), 'utf8'),
  };
}

export function sampleModel(messages: unknown, opts: { firstAnswerWrong: boolean }): ScriptedAnswer {
  const prompt = JSON.stringify(messages);
  const task = taskOfPrompt(messages);
  const round = Number(/# Task \S+, round (\d+)/.exec(prompt)?.[1]);
  if (prompt.includes('judge the plain-language checks')) {
    const verdicts = [1, 2, 3, 4, 5].map((check) => ({ check, pass: true, reason: 'it holds' }));
    return { content: JSON.stringify({ verdicts }) };
  }
  const right = sampleAppFiles(task, round);
  if (prompt.includes('failed its self-check')) return appAnswer({ 'index.html': right['index.html']! });
  if (round > 1 || !opts.firstAnswerWrong) return appAnswer(right);
  const [id, typo] = misspelt[exampleOf(task)]!;
  return appAnswer({ ...right, 'index.html': right['index.html']!.replaceAll(id, typo) });
}
