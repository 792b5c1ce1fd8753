import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CreateLinkDto } from './dto/create-link.dto.js';
import { LinkCodeParams } from './dto/link-code.params.js';
import { LinkPageResponse, LinkResponse, LinkStatsResponse } from './dto/link.response.js';
import { ListLinksQuery } from './dto/list-links.query.js';
import { UpdateLinkDto } from './dto/update-link.dto.js';
import { LinksService } from './links.service.js';

@ApiTags('links')
@ApiBadRequestResponse({ description: 'Invalid input; the body names each field and rule' })
@Controller('api/links')
export class LinksController {
  constructor(private readonly links: LinksService) {}

  @Post()
  @ApiCreatedResponse({ type: LinkResponse })
  @ApiConflictResponse({ description: 'The alias is taken' })
  create(@Body() dto: CreateLinkDto): Promise<LinkResponse> {
    return this.links.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: LinkPageResponse })
  list(@Query() query: ListLinksQuery): Promise<LinkPageResponse> {
    return this.links.list(query.limit, query.cursor);
  }

  @Get(':code')
  @ApiOkResponse({ type: LinkResponse })
  @ApiNotFoundResponse()
  get(@Param() { code }: LinkCodeParams): Promise<LinkResponse> {
    return this.links.get(code);
  }

  @Get(':code/stats')
  @ApiOkResponse({ type: LinkStatsResponse })
  @ApiNotFoundResponse()
  stats(@Param() { code }: LinkCodeParams): Promise<LinkStatsResponse> {
    return this.links.stats(code);
  }

  @Patch(':code')
  @ApiOkResponse({ type: LinkResponse })
  @ApiNotFoundResponse()
  update(@Param() { code }: LinkCodeParams, @Body() dto: UpdateLinkDto): Promise<LinkResponse> {
    return this.links.update(code, dto);
  }

  @Delete(':code')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@Param() { code }: LinkCodeParams): Promise<void> {
    await this.links.remove(code);
  }
}
