import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { canonicalId } from '../common/ids.js';
import type { UserRef } from './users.service.js';

/**
 * The two paths of an operation on one user, `:id<rest>` and `external/:externalId<rest>`, for
 * one handler to serve both: `@Get(userPaths())`, `@Post(userPaths('/actions/unlock'))`.
 * Fastify's router prefers the static `external` segment, and ids are UUIDs, so the two never meet.
 */
export function userPaths(rest = ''): string[] {
  return [`:id${rest}`, `external/:externalId${rest}`];
}

/**
 * Which user the request names, by id (in lower case, whatever the case sent) or by
 * externalId, whichever of the userPaths() it came by. The service finds that user in the caller's tenant (a user of another tenant is a 404),
 * in the transaction of the change, so that the row it reads is the row it locks and changes.
 * Both path parameters are documented; the OpenAPI document keeps each path's own.
 */
export const TargetUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): UserRef => {
    const params = ctx.switchToHttp().getRequest<FastifyRequest>().params as { id?: string; externalId?: string };
    // An id is read in its one spelling, as CanonicalIdParamPipe reads every `:id` of an @Param;
    // an externalId exactly as sent.
    return params.externalId !== undefined ? { externalId: params.externalId } : { id: canonicalId(params.id ?? '') };
  },
  [
    (target, key) => {
      const descriptor = Object.getOwnPropertyDescriptor(target, key!)!;
      ApiParam({ name: 'id', type: String, description: "The user's id" })(target, key!, descriptor);
      ApiParam({ name: 'externalId', type: String, description: "The user's id in the customer's system" })(target, key!, descriptor);
    },
  ],
);
