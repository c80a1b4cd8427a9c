import type { QueryRunner } from 'typeorm';

/**
 * The audit actions renamed to one style (`<resource>.<past_tense_verb>`, snake_case), as they
 * were when renamed: a migration must not change when the live catalogue does later.
 */
const RENAMES: readonly [from: string, to: string][] = [
  ['user.allow-password-reset', 'user.password_reset_allowed'],
  ['user.disallow-password-reset', 'user.password_reset_disallowed'],
  ['user.require-password-reset', 'user.password_reset_required'],
  ['user.reset-tfa', 'user.tfa_reset'],
  ['user.unlock', 'user.unlocked'],
  ['user.force-logout', 'user.force_logged_out'],
  ['user.reset-api-key', 'user.api_key_reset'],
  ['user.plan-assigned', 'user.plan_assigned'],
  ['user.plan-removed', 'user.plan_removed'],
  ['tfa.enroll_started', 'tfa.enrollment_started'],
  ['auth.login', 'auth.logged_in'],
  ['auth.lockout', 'auth.locked_out'],
  ['auth.logout', 'auth.logged_out'],
  ['auth.refresh_reuse', 'auth.refresh_token_reused'],
];

/** Same SQL on both databases: one UPDATE per name. */
export async function renameAuditActions(queryRunner: QueryRunner, direction: 'up' | 'down'): Promise<void> {
  for (const [from, to] of RENAMES) {
    const [oldName, newName] = direction === 'up' ? [from, to] : [to, from];
    await queryRunner.query('UPDATE audit_events SET action = ? WHERE action = ?', [newName, oldName]);
  }
}
