import { ApiProperty } from '@nestjs/swagger';
import type { Principal } from '../../auth/principal.js';
import { effectivePermissions } from '../../auth/permissions.js';
import { maskEmail, maskIpEntry, maskPhone } from '../../common/masking.js';
import type { Group } from '../../groups/group.entity.js';
import type { User } from '../user.entity.js';
import { todayUtc } from '../../common/dates.js';

/** A user with the rows hanging off it, as the service loads it for a response. */
export interface UserWithRelations {
  user: User;
  groups: Pick<Group, 'id' | 'name' | 'permissions'>[];
  ipWhitelist: string[];
  clientTags: string[];
  plans: { planId: string; name: string; validFrom: Date; validTo: string | null }[];
  /** A confirmed TOTP enrolment exists. */
  tfaEnrolled: boolean;
}

export class UserGroupRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class UserPlanAssignment {
  @ApiProperty({ format: 'uuid' }) planId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) validFrom!: string;
  @ApiProperty({ type: String, format: 'date', nullable: true }) validTo!: string | null;
  @ApiProperty({ description: "validFrom has passed and validTo is today's UTC date or later" }) active!: boolean;
}

export class UserEnterprise {
  @ApiProperty({ type: String, nullable: true }) employeeNumber!: string | null;
  @ApiProperty({ type: String, nullable: true }) costCenter!: string | null;
  @ApiProperty({ type: String, nullable: true }) organization!: string | null;
  @ApiProperty({ type: String, nullable: true }) division!: string | null;
  @ApiProperty({ type: String, nullable: true }) department!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Another user of the tenant' }) managerId!: string | null;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ type: String, nullable: true }) externalId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) firstName!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastName!: string | null;
  @ApiProperty({ type: String, nullable: true }) username!: string | null;
  @ApiProperty({ description: 'Masked (m***@bar.com) unless the caller may view masked data' }) email!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Masked (+*******7762) unless the caller may view masked data' })
  phone!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty() admin!: boolean;
  @ApiProperty() planAdmin!: boolean;
  @ApiProperty() tfa!: boolean;
  @ApiProperty() tfaEnrolled!: boolean;
  @ApiProperty() resetPassword!: boolean;
  @ApiProperty() resetTfa!: boolean;
  @ApiProperty() passwordResetAllowed!: boolean;
  @ApiProperty() canViewMaskedData!: boolean;
  @ApiProperty() onlySeesReadable!: boolean;
  @ApiProperty({ type: Number, nullable: true }) sessionsLimit!: number | null;
  @ApiProperty({ type: [UserGroupRef] }) groups!: UserGroupRef[];
  @ApiProperty({ type: [String], description: "Effective: the groups' permissions, plus all for admin, plus plans:read plans:write users:read for planAdmin" })
  permissions!: string[];
  @ApiProperty({ type: [String], description: 'Each entry is *** unless the caller may view masked data' }) ipWhitelist!: string[];
  @ApiProperty({ type: [String] }) clientTags!: string[];
  @ApiProperty({ type: [UserPlanAssignment] }) plans!: UserPlanAssignment[];
  @ApiProperty({
    type: UserEnterprise,
    description: 'The enterprise extension of SCIM (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User)',
  })
  enterprise!: UserEnterprise;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lockedUntil!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastLoginAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastActionAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ description: 'Sent as the ETag; send it back in If-Match' }) version!: number;
}

/** The operator and users with canViewMaskedData see every user's personal data in clear. */
export function seesMaskedData(viewer: Principal): boolean {
  return viewer.kind === 'operator' || viewer.canViewMaskedData;
}

/** ... and every user sees its own record in clear, through /me and /users/{its id} alike. */
export function seesUnmasked(viewer: Principal, user: Pick<User, 'id'>): boolean {
  return seesMaskedData(viewer) || (viewer.kind === 'user' && viewer.userId === user.id);
}

/** Today's date in UTC as YYYY-MM-DD. */
const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** The one place a user becomes a response: secrets never leave, masking is applied here. */
export function toUserResponse(loaded: UserWithRelations, viewer: Principal, now = new Date()): UserResponse {
  // Formatting a date costs more than the rest of a small user's mapping: only when it has plans.
  return mapUser(loaded, viewer, now, loaded.plans.length > 0 ? todayUtc(now) : '');
}

/** A page of users, mapped as toUserResponse maps each, at one moment: the date is formatted once, not once a user. */
export function toUserResponses(page: readonly UserWithRelations[], viewer: Principal, now = new Date()): UserResponse[] {
  const today = todayUtc(now);
  return page.map((loaded) => mapUser(loaded, viewer, now, today));
}

function mapUser(loaded: UserWithRelations, viewer: Principal, now: Date, today: string): UserResponse {
  const { user } = loaded;
  const clear = seesUnmasked(viewer, user);
  return {
    id: user.id,
    tenantId: user.tenantId,
    externalId: user.externalId,
    name: user.name,
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.username,
    email: clear ? user.email : maskEmail(user.email),
    phone: user.phone === null || clear ? user.phone : maskPhone(user.phone),
    active: user.active,
    admin: user.admin,
    planAdmin: user.planAdmin,
    tfa: user.tfa,
    tfaEnrolled: loaded.tfaEnrolled,
    resetPassword: user.resetPassword,
    resetTfa: user.resetTfa,
    passwordResetAllowed: user.passwordResetAllowed,
    canViewMaskedData: user.canViewMaskedData,
    onlySeesReadable: user.onlySeesReadable,
    sessionsLimit: user.sessionsLimit,
    groups: loaded.groups.map((g) => ({ id: g.id, name: g.name })),
    permissions: effectivePermissions(user, loaded.groups),
    ipWhitelist: clear ? [...loaded.ipWhitelist] : loaded.ipWhitelist.map(maskIpEntry),
    clientTags: [...loaded.clientTags],
    plans: loaded.plans.map((p) => ({
      planId: p.planId,
      name: p.name,
      validFrom: p.validFrom.toISOString(),
      validTo: p.validTo,
      active: p.validFrom.getTime() <= now.getTime() && (p.validTo === null || p.validTo >= today),
    })),
    enterprise: {
      employeeNumber: user.employeeNumber,
      costCenter: user.costCenter,
      organization: user.organization,
      division: user.division,
      department: user.department,
      managerId: user.managerId,
    },
    lockedUntil: iso(user.lockedUntil),
    lastLoginAt: iso(user.lastLoginAt),
    lastActionAt: iso(user.lastActionAt),
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    version: user.version,
  };
}
