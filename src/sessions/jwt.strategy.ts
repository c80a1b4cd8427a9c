import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../common/errors.js';
import { JWT_ALGORITHM, SigningKeysService } from './signing-keys.service.js';

export interface AccessClaims {
  sub: string;
  tid: string;
  sid: string;
  iat: number;
  exp: number;
}

type Attempt = Strategy & {
  success(user: unknown): void;
  fail(challenge?: unknown): void;
  error(err: unknown): void;
  authenticate(request: unknown, options: object): void;
};

/** Verified tokens kept, at most; the oldest goes first. */
const VERIFIED_CACHE_SIZE = 10_000;
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * passport-jwt, with the algorithm pinned to ES256, and issuer and audience checked; the key
 * is looked up by the token's `kid`. Run per request by the bearer resolver, not as a guard,
 * because the one global guard decides what each route needs.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig, keys: SigningKeysService) {
    super({
      jwtFromRequest: bearerToken,
      algorithms: [JWT_ALGORITHM],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      // jsonwebtoken takes a KeyObject as well as a PEM; passport-jwt's types say string.
      secretOrKeyProvider: (_request: unknown, rawToken: string, done: (err: unknown, key?: string) => void) => {
        const decoded = jwt.decode(rawToken, { complete: true });
        const kid = decoded?.header.kid;
        if (typeof kid !== 'string') return done(new Error('no kid'));
        keys.publicKey(kid).then(
          (key) => (key ? done(null, key as unknown as string) : done(new Error('unknown kid'))),
          (error: unknown) => done(error),
        );
      },
    });
  }

  validate(payload: Record<string, unknown>): AccessClaims {
    const { sub, tid, sid, iat, exp } = payload;
    if (typeof sub !== 'string' || typeof tid !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') {
      throw new DomainError('invalid_credentials', 'The access token is not valid');
    }
    return { sub, tid, sid, iat: Number(iat), exp };
  }

  /**
   * Tokens that passed verification, with their claims, until they expire. A signature check
   * costs more than the rest of an authenticated request; a token's bytes cannot change, so
   * one check per token is enough. Whether its session and user still stand is not cached:
   * the bearer resolver reads that on every request.
   */
  private readonly verified = new Map<string, AccessClaims>();

  /** Verifies the request's bearer token; any failure is a 401. */
  async verify(request: FastifyRequest): Promise<AccessClaims> {
    const token = bearerToken(request as never);
    const known = token ? this.verified.get(token) : undefined;
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(token!);
    }
    const claims = await this.check(request);
    if (token) {
      this.verified.set(token, claims);
      if (this.verified.size > VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    }
    return claims;
  }

  private check(request: FastifyRequest): Promise<AccessClaims> {
    return new Promise((resolve, reject) => {
      const attempt = Object.create(this) as Attempt;
      attempt.success = (claims) => resolve(claims as AccessClaims);
      attempt.fail = (challenge) => {
        const expired = challenge instanceof jwt.TokenExpiredError;
        reject(
          expired
            ? new DomainError('token_expired', 'The access token has expired')
            : new DomainError('invalid_credentials', 'The access token is not valid'),
        );
      };
      attempt.error = (error) =>
        reject(error instanceof DomainError ? error : new DomainError('invalid_credentials', 'The access token is not valid'));
      attempt.authenticate(request, {});
    });
  }
}
