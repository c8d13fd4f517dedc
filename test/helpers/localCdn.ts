import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Our machines have no internet, so pages that load libraries from jsDelivr get them from the same
 * npm packages in node_modules (`https://cdn.jsdelivr.net/npm/<package>@<version>/<file>`). The
 * production pages keep the real CDN URLs; only the test browser's requests are answered locally.
 */
const root = path.join(__dirname, '..', '..', 'node_modules');
const cdnPath = /^https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[\w.-]+\/)?[\w.-]+)@[\w.-]+\/([\w./-]+)$/;
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

export function serveCdnFromNodeModules(url: string): { body: Buffer; contentType: string } | undefined {
  const match = cdnPath.exec(url.split('?')[0]!);
  if (!match) return undefined;
  const [, pkg, file] = match;
  if (file!.split('/').includes('..')) return undefined;
  try {
    return {
      body: readFileSync(path.join(root, pkg!, file!)),
      contentType: types[path.extname(file!)] ?? 'application/octet-stream',
    };
  } catch {
    return undefined;
  }
}
