import { describe, expect, it } from '@jest/globals';
import { idleStep } from './idle-collector.js';

const MB = 1024 * 1024;

/** A heap whose size the test sets, and that a collection shrinks back to `live`. */
function fakeHeap(live: number): { used: number; collections: number; collect: () => void } {
  const heap = {
    used: live,
    collections: 0,
    collect: () => {
      heap.collections += 1;
      heap.used = live;
    },
  };
  return heap;
}

describe('idleStep', () => {
  it('collects once after traffic and a quiet spell, and not again until more traffic', () => {
    const counter = { requests: 0 };
    const heap = fakeHeap(40 * MB);
    const step = idleStep(heap.collect, { counter, quietSeconds: 2, heapUsed: () => heap.used, worthCollecting: 8 * MB });
    step();
    step();
    step();
    expect(heap.collections).toBe(0); // no traffic yet: nothing to give back
    counter.requests += 5;
    heap.used += 20 * MB;
    step(); // traffic seen
    step(); // quiet 1 s
    expect(heap.collections).toBe(0);
    step(); // quiet 2 s
    expect(heap.collections).toBe(1);
    step();
    step();
    expect(heap.collections).toBe(1);
    counter.requests += 1;
    heap.used += 10 * MB;
    step();
    counter.requests += 1;
    step(); // still busy
    step();
    expect(heap.collections).toBe(1);
    step();
    expect(heap.collections).toBe(2);
  });

  it('lets a little traffic, such as a health check, go without a collection', () => {
    const counter = { requests: 0 };
    const heap = fakeHeap(40 * MB);
    const step = idleStep(heap.collect, { counter, quietSeconds: 2, heapUsed: () => heap.used, worthCollecting: 8 * MB });
    for (let check = 0; check < 5; check++) {
      counter.requests += 1;
      heap.used += 1 * MB;
      for (let second = 0; second < 5; second++) step();
    }
    expect(heap.collections).toBe(0);
    counter.requests += 1;
    heap.used += 4 * MB; // 9 MB past the last collection in all
    for (let second = 0; second < 3; second++) step();
    expect(heap.collections).toBe(1);
  });
});
