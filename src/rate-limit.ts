/**
 * A token bucket: `ratePerSec` tokens a second, at most `burst` saved up. `take()` returns 0 when a
 * token was taken, else the milliseconds until one will be there.
 */
export function createTokenBucket(ratePerSec: number, burst: number, now: () => number = Date.now) {
  let tokens = burst;
  let last = now();
  return {
    take(): number {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) * ratePerSec) / 1000);
      last = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - tokens) * 1000) / ratePerSec);
    },
  };
}
