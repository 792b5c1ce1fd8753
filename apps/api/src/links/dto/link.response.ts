import { ApiProperty } from '@nestjs/swagger';

export class LinkResponse {
  @ApiProperty({ example: 'aZ3kQ9x' }) code: string;
  @ApiProperty({ example: 'http://localhost:3000/aZ3kQ9x' }) shortUrl: string;
  @ApiProperty({ example: 'https://example.com/a/very/long/path' }) url: string;
  @ApiProperty({ type: String, nullable: true, example: null }) expiresAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ description: 'Clicks counted so far' }) clicks: number;
}

export class LinkPageResponse {
  @ApiProperty({ type: [LinkResponse] }) items: LinkResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

export class LinkStatsResponse {
  @ApiProperty() code: string;
  @ApiProperty({ description: 'Total redirects served (flushed to Postgres at least every second)' }) clicks: number;
}
