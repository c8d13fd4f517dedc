import { z } from 'zod';
import { isSafeRelativePath } from '../safePath';

/**
 * The model's answer: `{"files":[{"path","content"}],"notes"}`, or, from models that ignore the
 * JSON instruction, fenced code blocks labelled with file names. Validated before anything is stored.
 */

export interface GeneratedFile {
  path: string;
  content: string;
}

export interface GeneratedApp {
  files: GeneratedFile[];
  notes: string;
}

export class InvalidModelOutput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidModelOutput';
  }
}

const limits = { files: 50, fileBytes: 1_000_000, totalBytes: 5_000_000 } as const;
/** Written by code, never taken from the model. */
const codeOwnedFiles = new Set(['LICENSE', '.nojekyll']);

const answerSchema = z.object({
  files: z.array(z.object({ path: z.string(), content: z.string() })).min(1),
  notes: z.string().optional(),
});

/** The same shape as a strict JSON schema, for providers with structured output. */
export const appAnswerSchema = {
  name: 'static_app',
  schema: {
    type: 'object',
    properties: {
      files: {
        type: 'array',
        items: {
          type: 'object',
          properties: { path: { type: 'string' }, content: { type: 'string' } },
          required: ['path', 'content'],
          additionalProperties: false,
        },
      },
      notes: { type: 'string' },
    },
    required: ['files', 'notes'],
    additionalProperties: false,
  },
};

/** Token shapes that must never be published; the service's own secrets are checked too. */
export const secretPatterns: { name: string; pattern: RegExp }[] = [
  { name: 'GitHub token', pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}/ },
  { name: 'GitHub fine-grained token', pattern: /\bgithub_pat_[A-Za-z0-9_]{30,}/ },
  { name: 'OpenAI-style API key', pattern: /\bsk-(proj-|live-)?[A-Za-z0-9_-]{20,}/ },
  { name: 'AWS access key', pattern: /\bAKIA[0-9A-Z]{16}\b/ },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

/** The kinds of credential that appear in `text` (by pattern name), for scans of whole repos too. */
export function findSecrets(text: string): string[] {
  return secretPatterns.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

export function parseModelAnswer(text: string): GeneratedApp {
  const json = extractJsonObject(text);
  if (json !== undefined) {
    const parsed = answerSchema.safeParse(json);
    if (parsed.success) return { files: parsed.data.files, notes: parsed.data.notes ?? '' };
  }
  const fenced = parseFencedFiles(text);
  if (fenced.length) return { files: fenced, notes: '' };
  throw new InvalidModelOutput(
    json === undefined
      ? 'the answer is neither a JSON object nor code blocks labelled with file names'
      : 'the JSON object does not have the shape {"files":[{"path","content"}],"notes"}',
  );
}

/** The first JSON value found in a model's answer: all of it, a fenced block, or the outermost braces. */
export function extractJsonObject(text: string): unknown {
  const trimmed = text.trim();
  const candidates = [trimmed];
  const fencedJson = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(trimmed);
  if (fencedJson) candidates.push(fencedJson[1]!);
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(trimmed.slice(first, last + 1));
  for (const c of candidates) {
    try {
      return JSON.parse(c);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

const fileNameToken = /([\w][\w./-]*\.[A-Za-z0-9]+)/;

/** Code blocks whose info string, or the line just above them, names a file. */
function parseFencedFiles(text: string): GeneratedFile[] {
  const lines = text.split('\n');
  const files: GeneratedFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([^`]*)$/.exec(lines[i]!.trim());
    if (!open) continue;
    const ticks = open[1]!;
    const info = open[2]!.trim();
    const end = lines.findIndex((l, j) => j > i && l.trim() === ticks);
    if (end < 0) break;
    const content = lines.slice(i + 1, end).join('\n') + '\n';
    const above = lines
      .slice(Math.max(0, i - 2), i)
      .reverse()
      .find((l) => l.trim() !== '');
    const name =
      fileNameToken.exec(info.replace(/^\w+\s+/, ''))?.[1] ??
      fileNameToken.exec(info)?.[1] ??
      (above && fileNameToken.exec(above)?.[1]);
    const language = info.split(/\s+/)[0]?.toLowerCase();
    if (name) files.push({ path: name, content });
    else if (language === 'html' && !files.some((f) => f.path === 'index.html'))
      files.push({ path: 'index.html', content });
    i = end;
  }
  return files;
}

/** Checks what would be published; throws InvalidModelOutput with a reason the model can act on. */
export function validateGeneratedApp(
  app: GeneratedApp,
  opts: { knownSecrets?: readonly string[]; existingPaths?: readonly string[] } = {},
): GeneratedApp {
  const knownSecrets = opts.knownSecrets ?? [];
  const files: GeneratedFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const f of app.files) {
    // Model paths are refused rather than repaired: an unsafe path means the model is confused.
    const safe = f.path.replace(/^\.\//, '');
    if (!isSafeRelativePath(safe))
      throw new InvalidModelOutput(`"${f.path}" is not a safe relative file path`);
    if (codeOwnedFiles.has(safe)) continue;
    if (seen.has(safe)) throw new InvalidModelOutput(`"${safe}" appears twice`);
    seen.add(safe);
    const bytes = Buffer.byteLength(f.content, 'utf8');
    if (bytes > limits.fileBytes)
      throw new InvalidModelOutput(`"${safe}" is ${bytes} bytes; the limit is ${limits.fileBytes}`);
    total += bytes;
    for (const { name, pattern } of secretPatterns) {
      if (pattern.test(f.content))
        throw new InvalidModelOutput(
          `"${safe}" contains what looks like a ${name}; never include credentials`,
        );
    }
    if (knownSecrets.some((s) => s.length >= 8 && f.content.includes(s))) {
      throw new InvalidModelOutput(
        `"${safe}" contains one of the service's credentials; never include credentials`,
      );
    }
    files.push({ path: safe, content: f.content });
  }
  if (!seen.has('index.html') && !opts.existingPaths?.includes('index.html'))
    throw new InvalidModelOutput('there is no index.html at the root');
  if (files.length > limits.files)
    throw new InvalidModelOutput(`${files.length} files; the limit is ${limits.files}`);
  if (total > limits.totalBytes)
    throw new InvalidModelOutput(`${total} bytes in all; the limit is ${limits.totalBytes}`);
  return { files, notes: app.notes.slice(0, 2000) };
}
