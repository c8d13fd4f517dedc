import { createHash, timingSafeEqual } from 'node:crypto';

export type SecretVerdict = 'missing' | 'not_a_string' | 'wrong' | 'accepted';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares the request's secret with every accepted one in constant time (fixed-length digests,
 * no early exit), so response timing tells nothing about how close a guess was. With no secrets
 * configured (local development) any non-empty secret is accepted.
 */
export function checkSecret(secret: unknown, accepted: readonly string[]): SecretVerdict {
  if (secret === undefined || secret === null || secret === '') return 'missing';
  if (typeof secret !== 'string') return 'not_a_string';
  if (accepted.length === 0) return 'accepted';
  const given = digest(secret);
  let match = false;
  for (const candidate of accepted) match = timingSafeEqual(given, digest(candidate)) || match;
  return match ? 'accepted' : 'wrong';
}
