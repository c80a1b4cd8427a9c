/**
 * Every action the audit log records, named `<resource>.<past_tense_verb>` in snake_case.
 * These names are also the webhook event types, so they are a public contract: add names,
 * never rename one without an entry in RENAMED_ACTIONS.
 */
export const AUDIT_ACTIONS = [
  'tenant.created',
  'tenant.updated',
  'tenant.deleted',
  'tenant.users_imported',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.deactivated',
  'user.reactivated',
  'user.password_reset_allowed',
  'user.password_reset_disallowed',
  'user.password_reset_required',
  'user.tfa_reset',
  'user.unlocked',
  'user.force_logged_out',
  'user.api_key_reset',
  'user.password_changed',
  'user.plan_assigned',
  'user.plan_removed',
  'group.created',
  'group.updated',
  'group.deleted',
  'plan.created',
  'plan.updated',
  'plan.deleted',
  'tfa.enrollment_started',
  'tfa.enrolled',
  'tfa.disabled',
  'session.revoked',
  'session.evicted',
  'auth.logged_in',
  'auth.login_failed',
  'auth.locked_out',
  'auth.logged_out',
  'auth.refresh_token_reused',
  'auth.password_reset_requested',
  'auth.password_reset',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.deactivated',
  'webhook.redelivery_requested',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Names the log used before they followed one style; still accepted as `filter[action]`. */
export const RENAMED_ACTIONS: Readonly<Record<string, AuditAction>> = {
  'user.allow-password-reset': 'user.password_reset_allowed',
  'user.disallow-password-reset': 'user.password_reset_disallowed',
  'user.require-password-reset': 'user.password_reset_required',
  'user.reset-tfa': 'user.tfa_reset',
  'user.unlock': 'user.unlocked',
  'user.force-logout': 'user.force_logged_out',
  'user.reset-api-key': 'user.api_key_reset',
  'user.plan-assigned': 'user.plan_assigned',
  'user.plan-removed': 'user.plan_removed',
  'tfa.enroll_started': 'tfa.enrollment_started',
  'auth.login': 'auth.logged_in',
  'auth.lockout': 'auth.locked_out',
  'auth.logout': 'auth.logged_out',
  'auth.refresh_reuse': 'auth.refresh_token_reused',
};

const KNOWN = new Set<string>(AUDIT_ACTIONS);

export function isAuditAction(name: string): name is AuditAction {
  return KNOWN.has(name);
}

/** The current name of an action given by its current or its former name; other strings unchanged. */
export function currentActionName(name: string): string {
  return Object.hasOwn(RENAMED_ACTIONS, name) ? RENAMED_ACTIONS[name]! : name;
}

/** The resources named before the dot: `user`, `tfa`, `auth`, … */
export const AUDIT_RESOURCES: readonly string[] = [...new Set(AUDIT_ACTIONS.map((action) => action.slice(0, action.indexOf('.'))))];
