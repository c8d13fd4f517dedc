/**
 * Paths that may be committed to a published repo: relative, inside the repo, not in `.git`,
 * printable, and short. Used for attachment names and for files the model writes.
 */
const maxPathLength = 200;

/** Normalises `name` into a safe relative path, or returns undefined with nothing safe left. */
export function toSafeRelativePath(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return undefined;
  const segments = name
    .replace(/\\/g, '/')
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '.' && s !== '..' && s.toLowerCase() !== '.git');
  const joined = segments.join('/');
  return joined === '' || joined.length > maxPathLength ? undefined : joined;
}

/** True when `p` is already in the form toSafeRelativePath produces. */
export function isSafeRelativePath(p: string): boolean {
  return toSafeRelativePath(p) === p;
}
