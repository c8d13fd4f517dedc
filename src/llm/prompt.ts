import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RepoFile } from '../forge/forge';
import type { CheckAttempt, RoundSpec } from '../shared';

/** Builds the chat messages for one generation from the prompt templates in `prompts/`. */

export interface PromptAttachment {
  name: string;
  type: string;
  bytes: Buffer;
}

export interface PromptInput {
  task: string;
  round: number;
  spec: RoundSpec;
  attachments: PromptAttachment[];
  /** The app as it is on the forge; empty in round 1. */
  currentFiles: RepoFile[];
  /** Checks of earlier rounds that are not repeated in this one: evaluators re-run them. */
  earlierChecks?: { round: number; check: string }[];
}

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** Text, or text and images (for models that accept image input). */
  content: string | ContentPart[];
}

/** The text of a message, images left out. */
export function textOf(message: ChatMessage): string {
  return typeof message.content === 'string'
    ? message.content
    : message.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
}

/** The same conversation for a model that takes text only (the images are also described in text). */
export function withoutImages(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((m) => (typeof m.content === 'string' ? m : { ...m, content: textOf(m) }));
}

/** A user message with images after its text, when there are any. */
export function userMessage(text: string, images: { type: string; bytes: Buffer }[] = []): ChatMessage {
  if (images.length === 0) return { role: 'user', content: text };
  return {
    role: 'user',
    content: [
      { type: 'text', text },
      ...images.map((i) => ({
        type: 'image_url' as const,
        image_url: { url: `data:${i.type};base64,${i.bytes.toString('base64')}` },
      })),
    ],
  };
}

const templates = new Map<string, string>();

function template(name: string): string {
  let text = templates.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(__dirname, 'prompts', name), 'utf8');
    templates.set(name, text);
  }
  return text;
}

export function render(name: string, values: Record<string, string | number>): string {
  return template(name).replace(/\{\{(\w+)\}\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

const textExtensions = new Set([
  'csv',
  'tsv',
  'json',
  'md',
  'markdown',
  'txt',
  'html',
  'htm',
  'svg',
  'js',
  'mjs',
  'css',
  'xml',
  'yaml',
  'yml',
]);
/** Raster images providers accept as image input; SVG is shown as text instead. */
const imageTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const imageBytesLimit = 2_000_000;
const imagesPerPrompt = 4;
const inlineBudgetPerFile = 16_000;
const inlineBudgetTotal = 64_000;
const csvHeadRows = 20;
const csvTailRows = 5;

function isText(name: string, type: string): boolean {
  const ext = path.extname(name).slice(1).toLowerCase();
  return (
    type.startsWith('text/') ||
    /^(application\/(json|javascript|xml|x-yaml)|image\/svg\+xml)/.test(type) ||
    textExtensions.has(ext)
  );
}

function fence(name: string, text: string): string {
  const lang = path.extname(name).slice(1).toLowerCase() || 'text';
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}${lang}\n${text}${text.endsWith('\n') ? '' : '\n'}${ticks}`;
}

/** A long CSV is shown as its header, first and last rows, and the row count. */
function excerptCsv(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length <= 1 + csvHeadRows + csvTailRows) return text;
  const omitted = lines.length - 1 - csvHeadRows - csvTailRows;
  return [
    ...lines.slice(0, 1 + csvHeadRows),
    `... (${omitted} more rows) ...`,
    ...lines.slice(-csvTailRows),
  ].join('\n');
}

function describeAttachment(a: PromptAttachment, budgetLeft: number): { text: string; used: number } {
  const size = `${a.bytes.length} bytes`;
  const header = `### ${a.name} (${a.type}, ${size}) — fetch it as "${a.name}"`;
  if (!isText(a.name, a.type) || budgetLeft <= 0)
    return { text: `${header}\n(binary or too large to show)`, used: 0 };
  let text = a.bytes.toString('utf8');
  const isCsv = /\.(csv|tsv)$/i.test(a.name) || /csv/.test(a.type);
  if (isCsv) {
    const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1;
    text = excerptCsv(text);
    if (rows > csvHeadRows + csvTailRows) text = `${rows} data rows in all.\n${text}`;
  }
  const limit = Math.min(inlineBudgetPerFile, budgetLeft);
  if (text.length > limit) text = `${text.slice(0, limit)}\n... (truncated; the full file is in the repo)`;
  return { text: `${header}\n${fence(a.name, text)}`, used: text.length };
}

function describeCurrentFiles(files: RepoFile[], attachmentNames: Set<string>): string {
  const shown = files.filter(
    (f) => f.path !== 'LICENSE' && f.path !== '.nojekyll' && !attachmentNames.has(f.path),
  );
  if (shown.length === 0) return '(none)';
  return shown
    .map((f) =>
      isText(f.path, '') && f.content.length <= 200_000
        ? `### ${f.path}\n${fence(f.path, f.content.toString('utf8'))}`
        : `### ${f.path}\n(binary, ${f.content.length} bytes; keep it)`,
    )
    .join('\n\n');
}

function formatChecks(checks: string[]): string {
  return checks.length ? checks.map((c, i) => `${i + 1}. ${c}`).join('\n') : '(none given: meet the brief)';
}

function formatEarlierChecks(earlier: { round: number; check: string }[] | undefined): string {
  if (!earlier?.length) return '(none)';
  return earlier.map((c) => `- (round ${c.round}) ${c.check}`).join('\n');
}

/** Image attachments a vision model can look at, within a size and count budget. */
function imageAttachments(attachments: PromptAttachment[]): PromptAttachment[] {
  return attachments
    .filter((a) => imageTypes.has(a.type.toLowerCase()) && a.bytes.length <= imageBytesLimit)
    .slice(0, imagesPerPrompt);
}

function roundPrompt(input: PromptInput): string {
  let budget = inlineBudgetTotal;
  const attachmentTexts = input.attachments.map((a) => {
    const d = describeAttachment(a, budget);
    budget -= d.used;
    return d.text;
  });
  const brief = input.spec.briefTitle ? `${input.spec.briefTitle}\n\n${input.spec.brief}` : input.spec.brief;
  return render('round.md', {
    task: input.task,
    round: input.round,
    brief,
    checks: formatChecks(input.spec.checks),
    attachments: attachmentTexts.length ? attachmentTexts.join('\n\n') : '(none)',
  });
}

function currentFilesText(input: PromptInput): string {
  return describeCurrentFiles(input.currentFiles, new Set(input.attachments.map((a) => a.name)));
}

/** The conversation that writes a round's app: round 1 from scratch, later rounds as a revision. */
export function buildMessages(input: PromptInput): ChatMessage[] {
  let user = roundPrompt(input);
  if (input.round > 1) {
    user += render('revision.md', {
      round: input.round,
      earlierChecks: formatEarlierChecks(input.earlierChecks),
      currentFiles: currentFilesText(input),
    });
  }
  return [
    { role: 'system', content: template('system.md') },
    userMessage(user, imageAttachments(input.attachments)),
  ];
}

/** The conversation that fixes a published attempt whose self-check failed. */
export function buildRepairMessages(
  input: PromptInput & { pagesUrl: string; attempt: CheckAttempt },
): ChatMessage[] {
  const failing = input.attempt.results.filter((r) => r.outcome === 'fail' || r.outcome === 'error');
  const failures = failing
    .map(
      (r) =>
        `- ${r.kind === 'js' ? 'JavaScript check' : 'Plain-language check'} (round ${r.fromRound}): ${r.check}\n  Result: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`,
    )
    .join('\n');
  const problems = [
    ...input.attempt.pageErrors.map((e) => `- Uncaught error: ${e}`),
    ...input.attempt.consoleErrors.map((e) => `- Console error: ${e}`),
    ...input.attempt.failedRequests.map((e) => `- Failed request: ${e}`),
  ];
  const user =
    roundPrompt(input) +
    render('repair.md', {
      pagesUrl: input.pagesUrl,
      failures: failures || '(none)',
      pageProblems: problems.length ? problems.slice(0, 20).join('\n') : '(none)',
      earlierChecks: formatEarlierChecks(input.earlierChecks),
      currentFiles: currentFilesText(input),
    });
  return [
    { role: 'system', content: template('system.md') },
    userMessage(user, imageAttachments(input.attachments)),
  ];
}
