import type { ApiKey } from './api-key.entity.js';
import { runApiKeyCommand } from './api-keys.cli.js';
import { ApiKeyCommandError } from './api-keys.errors.js';
import type { ApiKeysService } from './api-keys.service.js';

const row = (over: Partial<ApiKey> = {}): ApiKey =>
  ({
    id: '1',
    name: 'ci',
    prefix: 'lp_abcdefg',
    keyHash: Buffer.alloc(32),
    createdAt: new Date('2030-01-02T03:04:05Z'),
    revokedAt: null,
    lastUsedAt: null,
    ...over,
  }) as ApiKey;

describe('npm run apikey', () => {
  let out: string[];
  let err: string[];
  const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };
  const service = {
    create: vi.fn(async (name: string) => ({ key: 'lp_' + 'S'.repeat(43), apiKey: row({ name }) })),
    list: vi.fn(async () => [row(), row({ id: '2', name: 'old laptop', revokedAt: new Date('2030-02-01T00:00:00Z') })]),
    revoke: vi.fn(async () => row({ revokedAt: new Date('2030-03-01T00:00:00Z') })),
  };
  const connect = vi.fn(async () => service as unknown as ApiKeysService);

  beforeEach(() => {
    out = [];
    err = [];
    vi.clearAllMocks();
  });

  it('create prints the key once, on a line of its own', async () => {
    expect(await runApiKeyCommand(['create', 'deploy', 'bot'], connect, io)).toBe(0);
    expect(service.create).toHaveBeenCalledWith('deploy bot');
    expect(out[0]).toMatch(/^Created API key 1 "deploy bot" \(prefix lp_abcdefg\)/);
    expect(out[1]).toBe('lp_' + 'S'.repeat(43));
  });

  it('list prints a table with prefixes, never keys', async () => {
    expect(await runApiKeyCommand(['list'], connect, io)).toBe(0);
    expect(out[0]).toMatch(/^ID\s+PREFIX\s+NAME\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(out[1]).toMatch(/^1\s+lp_abcdefg…\s+ci\s+2030-01-02 03:04:05\s+-\s+-$/);
    expect(out[2]).toMatch(/old laptop .*2030-02-01 00:00:00$/);
  });

  it('revoke takes one reference', async () => {
    expect(await runApiKeyCommand(['revoke', 'lp_abcdefg'], connect, io)).toBe(0);
    expect(service.revoke).toHaveBeenCalledWith('lp_abcdefg');
    expect(out[0]).toMatch(/^Revoked API key 1 "ci" \(prefix lp_abcdefg\) at 2030-03-01 00:00:00/);
    expect(await runApiKeyCommand(['revoke'], connect, io)).toBe(1);
    expect(err[0]).toMatch(/revoke needs one id, prefix or key/);
  });

  it('generate needs no database', async () => {
    expect(await runApiKeyCommand(['generate'], connect, io)).toBe(0);
    expect(out[0]).toMatch(/^lp_[0-9A-Za-z]{43}$/);
    expect(connect).not.toHaveBeenCalled();
  });

  it('reports usage errors and command errors with exit code 1', async () => {
    expect(await runApiKeyCommand([], connect, io)).toBe(1);
    expect(out[0]).toMatch(/^usage: npm run apikey/);
    expect(await runApiKeyCommand(['create'], connect, io)).toBe(1);
    expect(await runApiKeyCommand(['rotate'], connect, io)).toBe(1);
    expect(err.at(-1)).toMatch(/unknown command "rotate"/);
    service.revoke.mockRejectedValueOnce(new ApiKeyCommandError('no API key has that id'));
    expect(await runApiKeyCommand(['revoke', '99'], connect, io)).toBe(1);
    expect(err.at(-1)).toBe('apikey: no API key has that id');
  });
});
