import type { RoundSpec } from '../shared';
import type { GeneratedFile } from './modelOutput';

/**
 * Evaluators read the README, so a round never publishes without one: when the model leaves it out,
 * round 1 gets a plain README from the brief and the files, and later rounds get a "Changes in round
 * N" section appended to the README they already have.
 */
export function withReadme(opts: {
  task: string;
  round: number;
  spec: RoundSpec;
  files: GeneratedFile[];
  notes: string;
  currentReadme: string | undefined;
}): GeneratedFile[] {
  if (opts.files.some((f) => f.path.toLowerCase() === 'readme.md')) return opts.files;
  const changes = opts.notes.trim() || opts.spec.brief.trim();
  const content =
    opts.round > 1 && opts.currentReadme
      ? `${opts.currentReadme.trimEnd()}\n\n## Changes in round ${opts.round}\n\n${changes}\n`
      : firstReadme(opts);
  return [...opts.files, { path: 'README.md', content }];
}

function firstReadme(opts: { task: string; spec: RoundSpec; files: GeneratedFile[] }): string {
  const title = opts.spec.briefTitle || opts.task;
  const files = opts.files.map((f) => `- \`${f.path}\``).join('\n');
  return `# ${title}

## Summary

${opts.spec.brief.trim()}

## Setup

No build step: this is a static site. Serve the folder with any static web server (for example
\`npx serve .\`) or open the GitHub Pages site of this repository.

## Usage

Open \`index.html\` in a browser.

## How the code works

${files}

## License

MIT: see \`LICENSE\`.
`;
}
