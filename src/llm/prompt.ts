import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RepoFile } from '../forge/forge';
import type { RoundSpec } from '../shared';

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
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
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

export function buildMessages(input: PromptInput): ChatMessage[] {
  let budget = inlineBudgetTotal;
  const attachmentTexts = input.attachments.map((a) => {
    const d = describeAttachment(a, budget);
    budget -= d.used;
    return d.text;
  });
  const checks = input.spec.checks.length
    ? input.spec.checks.map((c, i) => `${i + 1}. ${c}`).join('\n')
    : '(none given: meet the brief)';
  const brief = input.spec.briefTitle ? `${input.spec.briefTitle}\n\n${input.spec.brief}` : input.spec.brief;
  let user = render('round.md', {
    task: input.task,
    round: input.round,
    brief,
    checks,
    attachments: attachmentTexts.length ? attachmentTexts.join('\n\n') : '(none)',
  });
  if (input.round > 1) {
    user += render('revision.md', {
      round: input.round,
      currentFiles: describeCurrentFiles(input.currentFiles, new Set(input.attachments.map((a) => a.name))),
    });
  }
  return [
    { role: 'system', content: template('system.md') },
    { role: 'user', content: user },
  ];
}
