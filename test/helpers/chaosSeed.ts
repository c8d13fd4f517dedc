/**
 * Chaos suites draw their randomness from one printed seed, so a failing run can be replayed
 * exactly with `CHAOS_SEED=<seed>`.
 */
export function chaosSeed(label: string): number {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
  console.log(`${label}: seed ${seed}`);
  return seed;
}

/** mulberry32: a small, fast generator of numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
