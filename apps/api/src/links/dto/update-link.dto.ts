import { ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateIf } from 'class-validator';
import { IsFutureDateTime, IsHttpUrl, MAX_URL_LENGTH } from '../../common/validators.js';

export class UpdateLinkDto {
  @ApiPropertyOptional({ example: 'https://example.com/new-target', maxLength: MAX_URL_LENGTH })
  // Not @IsOptional(): it also lets null through, and null is not a URL.
  @ValidateIf((_, value) => value !== undefined)
  @IsHttpUrl()
  url?: string;

  @ApiPropertyOptional({ description: 'New expiry; null removes it', example: '2031-01-01T00:00:00Z', nullable: true, type: String })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsFutureDateTime()
  expiresAt?: string | null;
}
