/**
 * The seed of a randomised test file: fresh on every run (from the OS), so every run tests new
 * inputs, or the value of RNNLAB_TEST_SEED (when set and not empty) to replay a run. Printed once per file, with the
 * command that replays it; tests put it in their failure messages too.
 */
export const SEED_VARIABLE = 'RNNLAB_TEST_SEED';

/** Parse RNNLAB_TEST_SEED: a whole number in 0..2^32-1; anything else is refused, naming the variable. */
export function parseSeed(text: string): number {
  const trimmed = text.trim();
  const n = Number(trimmed);
  if (trimmed === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`${SEED_VARIABLE}=${JSON.stringify(text)}: expected a whole number from 0 to 4294967295 (a seed a test printed)`);
  }
  return n;
}

const seeds = new Map<string, number>();

/**
 * The run's seed for the test file `label` (one per file and process, the same on every call).
 * Streams of the seeded Rng (new Rng(seed, stream)) give independent draws within the file.
 */
export function testSeed(label: string): number {
  const known = seeds.get(label);
  if (known !== undefined) return known;
  const given = process.env[SEED_VARIABLE] || undefined; // empty: unset
  const seed = given !== undefined ? parseSeed(given) : crypto.getRandomValues(new Uint32Array(1))[0];
  seeds.set(label, seed);
  console.log(`${label}: seed ${seed}${given !== undefined ? ` (from ${SEED_VARIABLE})` : ''}; replay with ${SEED_VARIABLE}=${seed}`);
  return seed;
}
