import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { CODE_PATTERN, CODE_RULE } from '../link-code.js';

export class LinkCodeParams {
  @ApiProperty({ example: 'aZ3kQ9x', pattern: CODE_PATTERN.source })
  @Matches(CODE_PATTERN, { message: `code must be ${CODE_RULE}` })
  code: string;
}
