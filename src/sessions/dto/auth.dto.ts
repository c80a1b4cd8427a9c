import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Session } from '../session.entities.js';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ description: 'Tenant slug', example: 'acme' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(63)
  tenant!: string;

  @ApiProperty({ example: 'mary@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ writeOnly: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password!: string;

  @ApiPropertyOptional({ description: 'Current TOTP code, when TFA is on' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  otp?: string;

  @ApiPropertyOptional({ description: 'A single-use recovery code instead of otp' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  recoveryCode?: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

class SessionRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty() refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
  @ApiProperty({ type: SessionRef }) session!: SessionRef;
  @ApiProperty() passwordChangeRequired!: boolean;
  @ApiProperty() tfaEnrollmentRequired!: boolean;
}

/** A public key of the JSON Web Key Set (RFC 7517): EC P-256, for ES256 signatures. */
export class PublicJwk {
  @ApiProperty({ enum: ['EC'] }) kty!: string;
  @ApiProperty({ enum: ['P-256'] }) crv!: string;
  @ApiProperty({ description: 'base64url' }) x!: string;
  @ApiProperty({ description: 'base64url' }) y!: string;
  @ApiProperty({ description: "Matches the `kid` header of the tokens it verifies" }) kid!: string;
  @ApiProperty({ enum: ['ES256'] }) alg!: string;
  @ApiProperty({ enum: ['sig'] }) use!: string;
}

export class JsonWebKeySet {
  @ApiProperty({ type: [PublicJwk], description: 'Every key that signs tokens now or signed tokens that may still be valid' })
  keys!: PublicJwk[];
}

export class RotatedKey {
  @ApiProperty({ description: 'The `kid` of the key that signs from now on' }) kid!: string;
}

export class SessionResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
  @ApiProperty({ description: 'True for the session making this request' }) current!: boolean;
}

export class SessionList {
  @ApiProperty({ type: [SessionResponse], description: 'The live sessions, newest first' }) data!: SessionResponse[];
}

export function toSessionResponse(session: Session, currentId: string | null): SessionResponse {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}
