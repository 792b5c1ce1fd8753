import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@linkpool/config';
import { ClicksRepository } from './clicks.repository.js';

const SHUTDOWN_FLUSH_ATTEMPTS = 3;
/** Batch ids are kept a day: far longer than any retry of a batch can come after its first write. */
const BATCH_ID_RETENTION_SECONDS = 86_400;
const BATCH_ID_CLEANUP_EVERY_MS = 3_600_000;

/**
 * Counts clicks in memory and writes them to Postgres in one batched UPDATE per interval, so
 * a redirect never waits for a database write. A failed flush keeps its counts for the next
 * one; shutdown flushes what is left. A crash (kill -9) loses at most one interval of clicks.
 */
@Injectable()
export class ClickBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Clicks');
  private pending = new Map<string, number>();
  /** A batch whose write failed: retried as is, under the same id, so it is added at most once. */
  private unconfirmed?: { id: string; counts: Map<string, number> };
  private timer?: NodeJS.Timeout;
  private cleanupTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Readers inside withStableCounts: no flush starts while there are any. */
  private readers = 0;

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
    return (this.pending.get(id) ?? 0) + (this.unconfirmed?.counts.get(id) ?? 0);
  }

  get pendingTotal(): number {
    let total = 0;
    for (const n of this.pending.values()) total += n;
    for (const n of this.unconfirmed?.counts.values() ?? []) total += n;
    return total;
  }

  /** Writes every pending count. Concurrent calls share one write. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * Runs `read` (a read of click counts from Postgres, plus pendingFor) while no flush is in
   * flight and none starts, so that a batch is counted exactly once: in Postgres or pending.
   */
  async withStableCounts<T>(read: () => Promise<T>): Promise<T> {
    this.readers++;
    try {
      await this.flushing?.catch(() => undefined);
      return await read();
    } finally {
      this.readers--;
    }
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (this.readers > 0) return; // the next tick writes it
      this.flush().catch((error: Error) => this.logger.warn(`click flush failed, will retry: ${error.message}`));
    }, this.config.clicks.flushIntervalMs);
    this.timer.unref();
    this.cleanupTimer = setInterval(() => {
      this.clicks.forgetBatches(BATCH_ID_RETENTION_SECONDS).catch((error: Error) => this.logger.warn(`batch id cleanup failed: ${error.message}`));
    }, BATCH_ID_CLEANUP_EVERY_MS);
    this.cleanupTimer.unref();
  }

  /** Runs after the HTTP server has stopped taking requests and before the pool closes. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.cleanupTimer);
    for (let attempt = 1; attempt <= SHUTDOWN_FLUSH_ATTEMPTS; attempt++) {
      try {
        await this.flush();
        if (this.pending.size === 0 && !this.unconfirmed) return;
      } catch (error) {
        this.logger.warn(`final click flush attempt ${attempt} failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    if (this.pendingTotal > 0) this.logger.error(`${this.pendingTotal} clicks could not be written before shutdown`);
  }

  private async writePending(): Promise<void> {
    // First the batch whose outcome is unknown, under its own id (a no-op if it did land).
    if (this.unconfirmed) {
      const { id, counts } = this.unconfirmed;
      await this.clicks.add(id, [...counts.keys()], [...counts.values()]);
      this.unconfirmed = undefined;
    }
    if (this.pending.size === 0) return;
    const batch = { id: randomUUID(), counts: this.pending };
    this.pending = new Map();
    try {
      await this.clicks.add(batch.id, [...batch.counts.keys()], [...batch.counts.values()]);
    } catch (error) {
      // It may have committed: keep it apart and retry it as is, never merged with newer clicks.
      this.unconfirmed = batch;
      throw error;
    }
  }
}
