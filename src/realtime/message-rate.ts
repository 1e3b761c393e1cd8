/** Seconds a room's rate looks back over. */
const windowSeconds = 60;

interface Ring {
  /** Messages stored in second `s` at `counts[s % windowSeconds]`. */
  counts: Uint32Array;
  /** The latest second counted: buckets after it are stale until `advance` clears them. */
  second: number;
}

/**
 * Messages this node stored per room over the last 60 s (the admin overview's messages per
 * minute): one ring of per-second counts per active room, so counting a message allocates
 * nothing, and a room quiet for a minute is dropped when read.
 */
export function createMessageRate(now: () => number = Date.now) {
  const rooms = new Map<string, Ring>();

  /** Clears the buckets of the seconds between the ring's latest and `second`. */
  function advance(ring: Ring, second: number): void {
    const gap = Math.min(second - ring.second, windowSeconds);
    for (let i = 1; i <= gap; i++) ring.counts[(ring.second + i) % windowSeconds] = 0;
    if (second > ring.second) ring.second = second;
  }

  return {
    /** One message stored in `room` now. */
    count(room: string): void {
      const second = Math.floor(now() / 1000);
      let ring = rooms.get(room);
      if (ring) advance(ring, second);
      else {
        ring = { counts: new Uint32Array(windowSeconds), second };
        rooms.set(room, ring);
      }
      ring.counts[second % windowSeconds] = (ring.counts[second % windowSeconds] ?? 0) + 1;
    },

    /** Messages per room over the last 60 s; rooms with none are left out (and forgotten). */
    perMinute(): Map<string, number> {
      const second = Math.floor(now() / 1000);
      const rates = new Map<string, number>();
      for (const [room, ring] of rooms) {
        advance(ring, second);
        const sum = ring.counts.reduce((a, b) => a + b, 0);
        if (sum === 0) rooms.delete(room);
        else rates.set(room, sum);
      }
      return rates;
    },
  };
}

export type MessageRate = ReturnType<typeof createMessageRate>;
