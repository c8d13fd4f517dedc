import { z } from 'zod';
import { toSafeRelativePath } from '../safePath';
import { decodeDataUri } from './dataUri';

/**
 * The protocol's task request, validated and normalised. Generous where issuers differ (brief as
 * `{name, description}`, checks as `{js}` objects, `round` as a digit string, missing checks or
 * attachments), strict where a mistake would cost the user (ids, URLs, data: URIs).
 */

/** Task ids become repo names and workflow ids, so they keep to GitHub's repo-name alphabet. */
const taskIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const limits = {
  textField: 320,
  task: 100,
  nonce: 200,
  brief: 100_000,
  checks: 100,
  check: 20_000,
  attachments: 50,
} as const;

const requiredString = (max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

const briefSchema = z.union(
  [
    requiredString(limits.brief),
    z.object({
      name: z.string().trim().max(limits.textField).optional(),
      description: requiredString(limits.brief),
    }),
  ],
  { error: (i) => (i.input === undefined ? 'is required' : 'must be a string or {name, description}') },
);

const checkSchema = z.union([requiredString(limits.check), z.object({ js: requiredString(limits.check) })], {
  error: 'must be a string or an object with a "js" string',
});

const attachmentSchema = z.object(
  {
    name: requiredString(limits.textField),
    url: z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }),
  },
  { error: 'must be an object {name, url}' },
);

export const taskRequestSchema = z.object(
  {
    email: requiredString(limits.textField),
    secret: requiredString(limits.textField),
    task: requiredString(limits.task).regex(
      taskIdPattern,
      'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
    ),
    round: z.preprocess(
      (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
      z
        .number({
          error: (i) => (i.input === undefined ? 'is required' : 'must be an integer of at least 1'),
        })
        .int('must be an integer of at least 1')
        .min(1, 'must be an integer of at least 1')
        .max(100, 'must be at most 100'),
    ),
    nonce: requiredString(limits.nonce),
    brief: briefSchema,
    checks: z
      .array(checkSchema, { error: 'must be an array of checks' })
      .max(limits.checks, `must have at most ${limits.checks} checks`)
      .default([]),
    evaluation_url: z
      .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
    attachments: z
      .array(attachmentSchema, { error: 'must be an array of {name, url}' })
      .max(limits.attachments, `must have at most ${limits.attachments} attachments`)
      .default([]),
  },
  { error: 'the request body must be a JSON object' },
);

export interface DecodedAttachment {
  name: string;
  type: string;
  bytes: Buffer;
}

export interface TaskRequest {
  email: string;
  secret: string;
  task: string;
  round: number;
  nonce: string;
  briefTitle?: string;
  brief: string;
  checks: string[];
  evaluationUrl: string;
  attachments: DecodedAttachment[];
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type ParseResult = { ok: true; request: TaskRequest } | { ok: false; problems: FieldProblem[] };

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/** Validates a parsed JSON body; attachments come back decoded, with safe names. */
export function parseTaskRequest(body: unknown): ParseResult {
  const parsed = taskRequestSchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ field: fieldName(i.path) || 'body', message: i.message })),
    };
  }
  const r = parsed.data;
  const problems: FieldProblem[] = [];
  const attachments: DecodedAttachment[] = [];
  const seen = new Set<string>();
  r.attachments.forEach((a, i) => {
    const name = toSafeRelativePath(a.name);
    if (name === undefined) {
      problems.push({ field: `attachments[${i}].name`, message: `"${a.name}" is not a usable file name` });
      return;
    }
    if (seen.has(name.toLowerCase())) {
      problems.push({ field: `attachments[${i}].name`, message: `"${name}" is used by another attachment` });
      return;
    }
    seen.add(name.toLowerCase());
    const decoded = decodeDataUri(a.url);
    if ('error' in decoded) {
      problems.push({ field: `attachments[${i}].url`, message: `(attachment "${name}") ${decoded.error}` });
      return;
    }
    attachments.push({ name, type: decoded.type, bytes: decoded.bytes });
  });
  if (problems.length) return { ok: false, problems };

  const brief =
    typeof r.brief === 'string'
      ? { brief: r.brief }
      : { briefTitle: r.brief.name, brief: r.brief.description };
  return {
    ok: true,
    request: {
      email: r.email,
      secret: r.secret,
      task: r.task,
      round: r.round,
      nonce: r.nonce,
      ...brief,
      checks: r.checks.map((c) => (typeof c === 'string' ? c : c.js)),
      evaluationUrl: r.evaluation_url,
      attachments,
    },
  };
}
