import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { Satisfies } from '../../common/validators.js';

/** A link id: a positive Postgres bigint. */
const isCursor = (v: string) => /^[1-9]\d{0,18}$/.test(v) && BigInt(v) <= 9223372036854775807n;

export class ListLinksQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  // Checked bottom-up: the integer rule first, so "abc" is reported as not an integer.
  @Max(100, { message: 'limit must be at most 100' })
  @Min(1, { message: 'limit must be at least 1' })
  @IsInt({ message: 'limit must be an integer' })
  limit: number = 20;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @Satisfies(isCursor, 'isCursor', 'must be a nextCursor value returned by a previous page')
  cursor?: string;
}
