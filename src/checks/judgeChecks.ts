import { z } from 'zod';
import type { RepoFile } from '../forge/forge';
import { extractJsonObject } from '../llm/modelOutput';
import { render, userMessage, type ChatMessage } from '../llm/prompt';

/**
 * Plain-language checks ("README.md is professional") cannot be evaluated in the page: a model
 * judges them from what an evaluator would look at — the README, the file list, the LICENSE, the
 * page's text and its screenshot.
 */

export interface JudgeEvidence {
  task: string;
  round: number;
  brief: string;
  checks: string[];
  files: RepoFile[];
  pageText: string;
  screenshot?: Buffer;
}

export interface Verdict {
  pass: boolean;
  reason: string;
}

const readmeLimit = 12_000;
const pageTextLimit = 8_000;
const fence = (text: string) => `\`\`\`\n${text.replace(/```/g, '` ` `')}\n\`\`\``;

export function buildJudgeMessages(evidence: JudgeEvidence): ChatMessage[] {
  const readme = evidence.files.find((f) => f.path.toLowerCase() === 'readme.md');
  const license = evidence.files.find((f) => f.path.toUpperCase() === 'LICENSE');
  const text = render('judge.md', {
    task: evidence.task,
    round: evidence.round,
    brief: evidence.brief,
    checks: evidence.checks.map((c, i) => `${i + 1}. ${c}`).join('\n'),
    fileList: evidence.files.map((f) => `- ${f.path} (${f.content.length} bytes)`).join('\n') || '(none)',
    readme: readme ? fence(readme.content.toString('utf8').slice(0, readmeLimit)) : '(no README.md)',
    license: license
      ? fence(license.content.toString('utf8').split('\n').slice(0, 3).join('\n'))
      : '(no LICENSE)',
    pageText: fence(evidence.pageText.slice(0, pageTextLimit) || '(the page shows no text)'),
  });
  return [userMessage(text, evidence.screenshot ? [{ type: 'image/png', bytes: evidence.screenshot }] : [])];
}

/** The verdicts' shape as a strict JSON schema, for providers with structured output. */
export const verdictsSchema = {
  name: 'check_verdicts',
  schema: {
    type: 'object',
    properties: {
      verdicts: {
        type: 'array',
        items: {
          type: 'object',
          properties: { check: { type: 'integer' }, pass: { type: 'boolean' }, reason: { type: 'string' } },
          required: ['check', 'pass', 'reason'],
          additionalProperties: false,
        },
      },
    },
    required: ['verdicts'],
    additionalProperties: false,
  },
};

const answerSchema = z.object({
  verdicts: z.array(
    z.object({
      check: z.coerce.number().int(),
      pass: z.boolean(),
      reason: z.string().optional(),
    }),
  ),
});

/** One verdict per check, in order; a check the model did not answer stays undefined. */
export function parseVerdicts(text: string, count: number): (Verdict | undefined)[] {
  const answer = answerSchema.safeParse(extractJsonObject(text));
  if (!answer.success) throw new Error('the judging answer was not {"verdicts":[{"check","pass","reason"}]}');
  const parsed = answer.data;
  const verdicts: (Verdict | undefined)[] = Array.from({ length: count }, () => undefined);
  for (const v of parsed.verdicts) {
    if (v.check >= 1 && v.check <= count) verdicts[v.check - 1] = { pass: v.pass, reason: v.reason ?? '' };
  }
  return verdicts;
}

/** What judging needs from the model client (the real one, or none when offline). */
export interface Judge {
  readonly configured: boolean;
  ask(
    messages: ChatMessage[],
    opts?: { signal?: AbortSignal; schema?: typeof verdictsSchema },
  ): Promise<{ text: string; model: string }>;
}

/**
 * Sets the outcome of each plain-language check from the model's verdicts. Without a model, or when
 * judging fails, the checks stay `not_run` with the reason: a judge's trouble is not the app's fault
 * and must not trigger repairs.
 */
export async function judgeTextChecks(
  checks: { outcome: string; detail?: string }[],
  opts: { model: Judge; evidence: JudgeEvidence; signal?: AbortSignal },
): Promise<void> {
  const mark = (outcome: 'pass' | 'fail' | 'not_run', detail: string, i: number) => {
    checks[i]!.outcome = outcome;
    checks[i]!.detail = detail;
  };
  if (!opts.model.configured) {
    checks.forEach((_, i) =>
      mark('not_run', 'not judged: no model is configured to judge plain-language checks', i),
    );
    return;
  }
  try {
    const { text, model } = await opts.model.ask(buildJudgeMessages(opts.evidence), {
      signal: opts.signal,
      schema: verdictsSchema,
    });
    const verdicts = parseVerdicts(text, checks.length);
    verdicts.forEach((v, i) =>
      v
        ? mark(
            v.pass ? 'pass' : 'fail',
            `judged by ${model}: ${v.reason || (v.pass ? 'holds' : 'does not hold')}`,
            i,
          )
        : mark('not_run', `not judged: ${model} gave no verdict for it`, i),
    );
  } catch (err) {
    checks.forEach((_, i) => mark('not_run', `not judged: ${(err as Error).message}`, i));
  }
}
