import { describe, expect, it } from '@jest/globals';
import { idleStep } from './idle-collector.js';

describe('idleStep', () => {
  it('collects once after traffic and a quiet spell, and not again until more traffic', () => {
    const counter = { requests: 0 };
    let collections = 0;
    const step = idleStep(() => (collections += 1), counter, 2);
    step();
    step();
    step();
    expect(collections).toBe(0); // no traffic yet: nothing to give back
    counter.requests += 5;
    step(); // traffic seen
    step(); // quiet 1 s
    expect(collections).toBe(0);
    step(); // quiet 2 s
    expect(collections).toBe(1);
    step();
    step();
    expect(collections).toBe(1);
    counter.requests += 1;
    step();
    counter.requests += 1;
    step(); // still busy
    step();
    expect(collections).toBe(1);
    step();
    expect(collections).toBe(2);
  });
});
