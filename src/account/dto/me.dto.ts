import { ApiProperty, PickType } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { UserInputDto } from '../../users/dto/user.dto.js';

/** A user may edit only these fields of its own profile. */
export class UpdateMeDto extends PickType(UserInputDto, ['name', 'firstName', 'lastName', 'phone'] as const) {}

export class ChangePasswordDto {
  @ApiProperty({ writeOnly: true }) @IsString() @IsNotEmpty() @MaxLength(256) currentPassword!: string;
  @ApiProperty({ writeOnly: true }) @IsString() @IsNotEmpty() @MaxLength(256) newPassword!: string;
}

export class OtpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  otp!: string;
}

export class TfaEnrollResponse {
  @ApiProperty({ description: 'Base32 TOTP secret' }) secret!: string;
  @ApiProperty() otpauthUrl!: string;
}

export class RecoveryCodesResponse {
  @ApiProperty({ type: [String], description: 'Ten single-use codes, shown this once' }) recoveryCodes!: string[];
}

export class PasswordResetRequestDto {
  @ApiProperty({ description: 'Tenant slug' }) @IsString() @IsNotEmpty() @MaxLength(63) tenant!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(254) email!: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(200) token!: string;
  @ApiProperty({ writeOnly: true }) @IsString() @IsNotEmpty() @MaxLength(256) newPassword!: string;
}
