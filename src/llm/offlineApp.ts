import path from 'node:path';
import { Marked } from 'marked';
import type { RoundSpec } from '../shared';
import type { GeneratedApp } from './modelOutput';
import type { PromptAttachment } from './prompt';

/**
 * The generator for `LLM_MODELS=offline`: no model, so no attempt at the brief. It publishes an
 * honest scaffold — the brief, the checks, and the attachments rendered (CSV as a table, images,
 * Markdown, JSON) — so a new user can watch the whole pipeline before getting a key. Everything is
 * rendered here, at generation time: the page needs no script and no CDN.
 */

const csvRowsShown = 200;

export function offlineApp(input: {
  task: string;
  round: number;
  spec: RoundSpec;
  attachments: PromptAttachment[];
}): GeneratedApp {
  const title = input.spec.briefTitle || firstLine(input.spec.brief) || input.task;
  const sections = input.attachments.map(renderAttachment).join('\n');
  const checks = input.spec.checks.length
    ? `<ol>${input.spec.checks.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ol>`
    : '<p>None given.</p>';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
.notice { background: #fff4ce; border: 1px solid #e0c060; padding: .75rem 1rem; border-radius: .5rem; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; }
pre { background: #f5f5f5; padding: .75rem; overflow: auto; } img { max-width: 100%; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="notice" id="offline-notice">This page was generated <strong>without a language model</strong>
(<code>LLM_MODELS=offline</code>): it shows the task as received, not an app that meets it.
Configure <code>OPENAI_API_KEY</code> (or <code>OPENAI_BASE_URL</code>) to have the app written.</p>
<h2>Brief (round ${input.round})</h2>
<div id="brief">${paragraphs(input.spec.brief)}</div>
<h2>Checks</h2>
${checks}
<h2>Attachments</h2>
${sections || '<p>None.</p>'}
</main>
</body>
</html>
`;
  const readme = `# ${title}

Task \`${input.task}\`, round ${input.round}.

This repository was published by the llm-deploy service **without a language model**
(\`LLM_MODELS=offline\`). It does not implement the brief: it is a scaffold that shows the brief, the
checks and the attachments, so the publishing pipeline can be seen working end to end.

## Summary

${input.spec.brief}

## Setup

None: a static page. Open \`index.html\`, or the GitHub Pages site of this repository.

## Usage

The page lists the brief and the checks and renders the attachments (CSV as a table, images,
Markdown, JSON).

## How the code works

\`index.html\` is plain HTML rendered by the service when the round was published; it has no script.

## License

MIT: see \`LICENSE\`.
`;
  return {
    files: [
      { path: 'index.html', content: html },
      { path: 'README.md', content: readme },
    ],
    notes: 'Offline scaffold: no model was configured, so the brief was not implemented.',
  };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.slice(0, 80);
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${escapeHtml(p.trim())}</p>`)
    .join('\n');
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function renderAttachment(a: PromptAttachment): string {
  const ext = path.extname(a.name).slice(1).toLowerCase();
  const type = a.type.toLowerCase();
  const heading = `<h3>${escapeHtml(a.name)} <small>(${escapeHtml(a.type)}, ${a.bytes.length} bytes)</small></h3>`;
  const href = encodeURI(a.name);
  const text = () => a.bytes.toString('utf8');
  let body: string;
  if (type.startsWith('image/')) {
    body = `<img src="${escapeHtml(href)}" alt="${escapeHtml(a.name)}">`;
  } else if (ext === 'csv' || ext === 'tsv' || type.includes('csv')) {
    body = renderTable(parseDelimited(text(), ext === 'tsv' ? '\t' : ','));
  } else if (ext === 'md' || ext === 'markdown' || type === 'text/markdown') {
    body = `<div class="markdown">${renderMarkdown(text())}</div>`;
  } else if (ext === 'json' || type.includes('json')) {
    body = `<pre>${escapeHtml(prettyJson(text()))}</pre>`;
  } else if (type.startsWith('text/')) {
    body = `<pre>${escapeHtml(text().slice(0, 20_000))}</pre>`;
  } else {
    body = `<p><a href="${escapeHtml(href)}">Download ${escapeHtml(a.name)}</a></p>`;
  }
  return `<section>${heading}\n${body}</section>`;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2).slice(0, 20_000);
  } catch {
    return text.slice(0, 20_000);
  }
}

/** Rows of a CSV/TSV file, with quoted fields (RFC 4180). */
export function parseDelimited(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

function renderTable(rows: string[][]): string {
  if (rows.length === 0) return '<p>(empty)</p>';
  const [header, ...data] = rows;
  const cells = (r: string[], tag: string) => r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('');
  const more = data.length > csvRowsShown ? `<p>${data.length - csvRowsShown} more rows not shown.</p>` : '';
  return `<table><thead><tr>${cells(header!, 'th')}</tr></thead><tbody>${data
    .slice(0, csvRowsShown)
    .map((r) => `<tr>${cells(r, 'td')}</tr>`)
    .join('')}</tbody></table>${more}`;
}

/** Markdown as HTML, with raw HTML shown as text and script-like links dropped: attachments are untrusted. */
const markdown = new Marked({
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    link({ href, tokens }) {
      const label = this.parser.parseInline(tokens);
      return /^\s*(javascript|data|vbscript):/i.test(href)
        ? label
        : `<a href="${escapeHtml(href)}">${label}</a>`;
    },
  },
});

function renderMarkdown(text: string): string {
  return markdown.parse(text, { async: false });
}
