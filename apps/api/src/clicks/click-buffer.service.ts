import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import { ClicksRepository } from './clicks.repository.js';

const SHUTDOWN_FLUSH_ATTEMPTS = 3;

/**
 * Counts clicks in memory and writes them to Postgres in one batched UPDATE per interval, so
 * a redirect never waits for a database write. A failed flush keeps its counts for the next
 * one; shutdown flushes what is left. A crash (kill -9) loses at most one interval of clicks.
 */
@Injectable()
export class ClickBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Clicks');
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly clicks: ClicksRepository,
    private readonly config: AppConfig,
  ) {}

  /** Counts one click on link `id`. Synchronous and allocation-light: it runs on every redirect. */
  record(id: string): void {
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
  }

  /** Clicks on `id` counted by this process but not yet in Postgres. */
  pendingFor(id: string): number {
    return this.pending.get(id) ?? 0;
  }

  get pendingTotal(): number {
    let total = 0;
    for (const n of this.pending.values()) total += n;
    return total;
  }

  /** Writes every pending count. Concurrent calls share one write. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.flush().catch((error: Error) => this.logger.warn(`click flush failed, will retry: ${error.message}`));
    }, this.config.clicks.flushIntervalMs);
    this.timer.unref();
  }

  /** Runs after the HTTP server has stopped taking requests and before the pool closes. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    for (let attempt = 1; attempt <= SHUTDOWN_FLUSH_ATTEMPTS; attempt++) {
      try {
        await this.flush();
        if (this.pending.size === 0) return;
      } catch (error) {
        this.logger.warn(`final click flush attempt ${attempt} failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    if (this.pending.size > 0) this.logger.error(`${this.pendingTotal} clicks could not be written before shutdown`);
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.clicks.add([...batch.keys()], [...batch.values()]);
    } catch (error) {
      // Put the counts back; clicks recorded meanwhile add up.
      for (const [id, n] of batch) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
      throw error;
    }
  }
}
