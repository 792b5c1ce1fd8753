import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClicksModule } from '../clicks/clicks.module.js';
import { Link } from './link.entity.js';
import { LinksController } from './links.controller.js';
import { LinksRepository } from './links.repository.js';
import { LinksService } from './links.service.js';
import { RedirectController } from './redirect.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([Link]), ClicksModule],
  // RedirectController last: its catch-all `/:code` must not shadow the API's routes.
  controllers: [LinksController, RedirectController],
  providers: [LinksService, LinksRepository],
})
export class LinksModule {}
