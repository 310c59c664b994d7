/*
 * seeded-random.mjs: the one seeded generator the tests use (mulberry32), so a seed gives the
 * same run everywhere: model tests, the differential test, the soak and the crash tests.
 * Must stay true: mulberry32(seed) returns a function giving floats in [0, 1), the same
 * sequence for the same seed (changing it changes every seeded test's workload).
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* A seeded integer in [0, n) for each call of the function returned (mulberry32 underneath). */
export function seededInt(seed) {
  const next = mulberry32(seed);
  return (n) => Math.floor(next() * n);
}
