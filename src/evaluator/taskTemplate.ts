import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * Task templates in the shape of `examples/tasks/*.yaml`: an id and its rounds (brief, checks,
 * attachments as text). `buildRequest` turns one round into a protocol request with a seeded task
 * id (the same seed gives the same task across rounds) and a fresh nonce.
 */

const templateSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be usable as a repo name'),
  rounds: z
    .array(
      z.object({
        brief: z.string().min(1),
        checks: z.array(z.string()).default([]),
        attachments: z
          .array(z.object({ name: z.string().min(1), type: z.string().min(1), text: z.string() }))
          .default([]),
      }),
    )
    .min(1),
});

export type TaskTemplate = z.infer<typeof templateSchema>;

export async function loadTaskTemplate(file: string): Promise<TaskTemplate> {
  const parsed = templateSchema.safeParse(parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || 'template'} ${issue.message}`);
  }
  return parsed.data;
}

export function newSeed(): string {
  return randomBytes(3).toString('hex');
}

export function taskIdFor(template: TaskTemplate, seed: string): string {
  return `${template.id}-${seed}`;
}

export interface TaskRequestBody {
  email: string;
  secret: string;
  task: string;
  round: number;
  nonce: string;
  brief: string;
  checks: string[];
  evaluation_url: string;
  attachments: { name: string; url: string }[];
}

export function buildRequest(
  template: TaskTemplate,
  round: number,
  opts: { seed: string; email: string; secret: string; evaluationUrl: string },
): TaskRequestBody {
  const spec = template.rounds[round - 1];
  if (!spec) throw new Error(`template ${template.id} has ${template.rounds.length} round(s), not ${round}`);
  return {
    email: opts.email,
    secret: opts.secret,
    task: taskIdFor(template, opts.seed),
    round,
    nonce: randomUUID(),
    brief: spec.brief,
    checks: spec.checks,
    evaluation_url: opts.evaluationUrl,
    attachments: spec.attachments.map((a) => ({
      name: a.name,
      url: `data:${a.type};base64,${Buffer.from(a.text, 'utf8').toString('base64')}`,
    })),
  };
}
