import type { RepoFile } from './forge';

/**
 * What every published round commits besides the app: the attachments (so the app can fetch them
 * by relative path), an MIT LICENSE written by code (never by the model), and `.nojekyll` so Pages
 * serves files as they are.
 */
export function mitLicense(year: number, holder: string): string {
  return `MIT License

Copyright (c) ${year} ${holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;
}

/** The first commit of a new repo, made while the model is still writing the app. */
export function initialRepoFiles(opts: {
  name: string;
  description: string;
  year: number;
  holder: string;
}): RepoFile[] {
  const readme = `# ${opts.name}\n\n${opts.description}\n\nThe app is being generated; this README is replaced when it is published.\n`;
  return [
    { path: 'README.md', content: Buffer.from(readme) },
    { path: 'LICENSE', content: Buffer.from(mitLicense(opts.year, opts.holder)) },
    { path: '.nojekyll', content: Buffer.alloc(0) },
  ];
}

/** Files of one round, later entries winning: attachments < generated app < files written by code. */
export function roundFiles(opts: {
  attachments: RepoFile[];
  generated: RepoFile[];
  year: number;
  holder: string;
}): RepoFile[] {
  const byPath = new Map<string, RepoFile>();
  for (const f of [...opts.attachments, ...opts.generated]) byPath.set(f.path, f);
  byPath.set('LICENSE', { path: 'LICENSE', content: Buffer.from(mitLicense(opts.year, opts.holder)) });
  byPath.set('.nojekyll', { path: '.nojekyll', content: Buffer.alloc(0) });
  return [...byPath.values()];
}
