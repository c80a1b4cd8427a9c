import { matchesEvent, parseEventPatterns } from './webhook-events.js';

describe('webhook event patterns', () => {
  it('accepts *, <resource>.* and action names (former names as their current one), dropping duplicates', () => {
    expect(parseEventPatterns(['user.*', '*', 'group.created', 'user.unlock', 'user.unlocked'])).toEqual({
      patterns: ['user.*', '*', 'group.created', 'user.unlocked'],
      invalid: [],
    });
    expect(parseEventPatterns(['user.nope', 'nope.*', 'user*', '', 'user.created']).invalid).toEqual([0, 1, 2, 3]);
  });

  it('matches an action by name, by its resource, or everything', () => {
    expect(matchesEvent(['user.*'], 'user.created')).toBe(true);
    expect(matchesEvent(['user.*'], 'usergroup.created')).toBe(false);
    expect(matchesEvent(['group.created'], 'group.created')).toBe(true);
    expect(matchesEvent(['group.created'], 'group.deleted')).toBe(false);
    expect(matchesEvent(['*'], 'auth.logged_in')).toBe(true);
    expect(matchesEvent([], 'user.created')).toBe(false);
  });
});
