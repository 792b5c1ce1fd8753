import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { IsFutureDateTime, IsHttpUrl, MAX_URL_LENGTH, Satisfies } from '../../common/validators.js';
import { CODE_PATTERN, CODE_RULE, isReservedCode } from '../link-code.js';

export class CreateLinkDto {
  @ApiProperty({ example: 'https://example.com/a/very/long/path?with=query', maxLength: MAX_URL_LENGTH })
  @IsHttpUrl()
  url: string;

  @ApiPropertyOptional({ description: 'Custom code instead of a generated one', example: 'spring-sale', pattern: CODE_PATTERN.source })
  // class-validator runs these bottom-up (and stops at the first failure): type, then shape, then meaning.
  @IsOptional()
  @Satisfies((v) => !isReservedCode(v), 'isNotReserved', 'must not be a reserved path (api, health, docs, ...)')
  @Matches(CODE_PATTERN, { message: `alias must be ${CODE_RULE}` })
  @IsString({ message: 'alias must be a string' })
  alias?: string;

  @ApiPropertyOptional({ description: 'When the link stops redirecting (410 after it); null for never', example: '2030-01-31T12:00:00Z', nullable: true, type: String })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsFutureDateTime()
  expiresAt?: string | null;
}
