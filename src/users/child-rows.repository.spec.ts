import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { inListSize } from './child-rows.repository.js';

describe('inListSize', () => {
  it('rounds a page of users up to one of a few IN-list sizes', () => {
    expect([1, 2, 3, 5, 6, 11, 21, 50, 51, 101, 200].map(inListSize)).toEqual([1, 2, 5, 5, 10, 20, 50, 50, 100, 200, 200]);
    expect(inListSize(201)).toBe(400);
  });

  it('always holds every id, and never more than double the ids plus a little', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (n) => {
        const size = inListSize(n);
        expect(size).toBeGreaterThanOrEqual(n);
        expect(size).toBeLessThanOrEqual(Math.max(2.5 * n, n + 199));
      }),
    );
  });
});
