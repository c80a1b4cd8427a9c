import { AUDIT_ACTIONS, AUDIT_RESOURCES, currentActionName } from '../audit/audit-actions.js';

/**
 * An endpoint's events are patterns over the audit action names: `*` (everything),
 * `<resource>.*` (`user.*`), or one action (`user.created`). Former action names are accepted
 * and stored under their current name.
 */
export function parseEventPatterns(patterns: readonly string[]): { patterns: string[]; invalid: number[] } {
  const invalid: number[] = [];
  const parsed: string[] = [];
  patterns.forEach((raw, index) => {
    const pattern = currentActionName(raw.trim());
    const known =
      pattern === '*' ||
      (AUDIT_ACTIONS as readonly string[]).includes(pattern) ||
      (pattern.endsWith('.*') && AUDIT_RESOURCES.includes(pattern.slice(0, -2)));
    if (!known) invalid.push(index);
    else if (!parsed.includes(pattern)) parsed.push(pattern);
  });
  return { patterns: parsed, invalid };
}

export function matchesEvent(patterns: readonly string[], action: string): boolean {
  for (const pattern of patterns) {
    if (pattern === '*' || pattern === action) return true;
    if (pattern.endsWith('.*') && action.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}
