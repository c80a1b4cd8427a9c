import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditActor } from '../audit/audit.service.js';
import { AuditService } from '../audit/audit.service.js';
import { Database } from '../database/database.service.js';
import { DomainError } from '../common/errors.js';
import type { Tenant } from '../tenants/tenant.entity.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { LoginFactsRepository } from '../users/login-facts.repository.js';

/** Who guessed, for the audit events a lockout writes. */
export interface Guesser {
  actor: AuditActor;
  ip: string | null;
  requestId: string | null;
  /** The event of a failed guess (a failed login), if one is written. */
  failedAction?: 'auth.login_failed';
}

/** What an evaluation found: 'uncounted' for a guess that proved nothing (a second factor not sent yet). */
export type Evaluation = 'right' | 'wrong' | 'uncounted';
export type GuessOutcome = Evaluation | 'locked';

/** How long a guess waits for guesses in flight to settle (an argon2id check is tens of ms). */
const CLAIM_WAIT_MS = 3_000;
const CLAIM_RETRY_MS = 20;

type LockoutPolicy = Pick<Tenant, 'id' | 'lockoutThreshold' | 'lockoutMinutes'>;

/**
 * Counts guesses at a user's secrets (password at login, second factor, the current password
 * or an OTP on the user's own routes) toward the tenant's lockout, exactly under concurrency:
 * a guess is counted before it is evaluated, by one conditional UPDATE that also holds the
 * decision (not locked, fewer than `lockoutThreshold` guesses pending or failed). So of any
 * burst at most the threshold is evaluated, and a right guess arriving once they are taken
 * waits for them: refused once they lock the account, counted in turn when they were right.
 */
@Injectable()
export class LockoutService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly counters: LoginFactsRepository,
  ) {}

  /**
   * Runs `evaluate` only when the guess may be evaluated, and counts it: a right guess clears
   * the count (`onRight` runs in the transaction that does so), a wrong one stays counted and
   * locks the account when it reaches the threshold, an uncounted one gives its place back.
   * 'locked': not evaluated.
   */
  async guess(
    tenant: LockoutPolicy,
    userId: string,
    evaluate: () => Promise<Evaluation>,
    guesser: Guesser,
    onRight?: (manager: EntityManager) => Promise<void>,
  ): Promise<GuessOutcome> {
    if (!(await this.claimWhenFree(tenant, userId))) return 'locked';
    let outcome: Evaluation = 'wrong';
    try {
      outcome = await evaluate();
    } finally {
      if (outcome === 'right') {
        await this.db.transaction(async (manager) => {
          await this.counters.clearGuesses(tenant.id, userId, manager);
          await onRight?.(manager);
        });
      } else if (outcome === 'uncounted') {
        await this.counters.returnGuess(tenant.id, userId);
      } else {
        await this.failed(tenant, userId, guesser);
      }
    }
    return outcome;
  }

  /**
   * The answer to a guess on an authenticated route that was not evaluated: a 429 with the
   * time left of the lock (or of a lockout period, while other guesses hold the threshold).
   */
  async refusal(tenant: LockoutPolicy, userId: string): Promise<DomainError> {
    const lockedUntil = await this.counters.lockedUntil(tenant.id, userId);
    const until = lockedUntil && lockedUntil > new Date() ? lockedUntil.getTime() : Date.now() + tenant.lockoutMinutes * 60_000;
    const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
    return new DomainError('rate_limited', 'Too many wrong attempts: the account is locked for now', undefined, { 'Retry-After': String(seconds) });
  }

  /** The tenant's lockout policy. */
  policyOf(tenantId: string): Promise<LockoutPolicy> {
    return this.tenants.lockoutPolicy(tenantId);
  }

  /**
   * Counts one guess, waiting while the threshold is held only by guesses still being
   * evaluated: a burst of right passwords (an integration signing in from several workers) is
   * served in turns of at most the threshold, each right one clearing the count, while a burst
   * of wrong ones locks the account and every guess still waiting is refused. A count held
   * longer than CLAIM_WAIT_MS (a process that died mid-guess) is a refusal, as before.
   */
  private async claimWhenFree(tenant: LockoutPolicy, userId: string): Promise<boolean> {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    for (;;) {
      if (await this.counters.claimGuess(tenant.id, userId, tenant.lockoutThreshold)) return true;
      if (tenant.lockoutThreshold <= 0 || Date.now() >= deadline) return false;
      const lockedUntil = await this.counters.lockedUntil(tenant.id, userId);
      if (lockedUntil === undefined || (lockedUntil && lockedUntil > new Date())) return false;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
    }
  }

  /** A wrong guess stays counted; the one that reaches the threshold locks the account. */
  private async failed(tenant: LockoutPolicy, userId: string, guesser: Guesser): Promise<void> {
    await this.db.transaction(async (manager) => {
      const event = (action: 'auth.login_failed' | 'auth.locked_out') =>
        this.audit.record(manager, {
          tenantId: tenant.id,
          action,
          actor: guesser.actor,
          target: { type: 'user', id: userId },
          ip: guesser.ip,
          requestId: guesser.requestId,
        });
      if (guesser.failedAction) await event(guesser.failedAction);
      if (tenant.lockoutThreshold <= 0) return;
      const lockedUntil = new Date(Date.now() + tenant.lockoutMinutes * 60_000);
      if (await this.counters.lockAtThreshold(tenant.id, userId, tenant.lockoutThreshold, lockedUntil, manager)) await event('auth.locked_out');
    });
  }
}
