import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import { ApiKeysService } from './api-keys.service.js';

/** At boot: stores the keys of API_KEYS, then says in the log how the API is protected. */
@Injectable()
export class ApiKeysBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiKeys');

  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { revoked } = await this.apiKeys.importKeys(this.config.security.apiKeys);
    if (revoked > 0) {
      this.logger.warn(`${revoked} key(s) in API_KEYS were revoked earlier and stay refused: remove them from API_KEYS`);
    }
    if (await this.apiKeys.isOpen()) {
      this.logger.warn(
        'THE API IS OPEN: no API key is configured, so anyone who can reach this port can create, change and delete links ' +
          '(allowed only in the embedded zero-install mode). Run `npm run apikey -- create <name>` or set API_KEYS to require keys.',
      );
      return;
    }
    const active = await this.apiKeys.countActive();
    if (active === 0) {
      this.logger.warn(
        'No active API key: every /api request is refused with 401. Create one with `npm run apikey -- create <name>`, or set API_KEYS.',
      );
    } else {
      this.logger.log(`/api requires an API key (${active} active)`);
    }
  }
}
