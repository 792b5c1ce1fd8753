import { Module } from '@nestjs/common';
import { ClickBuffer } from './click-buffer.service.js';
import { ClicksRepository } from './clicks.repository.js';

@Module({
  providers: [ClickBuffer, ClicksRepository],
  exports: [ClickBuffer],
})
export class ClicksModule {}
