import { generateApiKey } from './api-key-secret.js';
import type { ApiKey } from './api-key.entity.js';
import { ApiKeyCommandError } from './api-keys.errors.js';
import type { ApiKeysService } from './api-keys.service.js';

export const USAGE = `usage: npm run apikey -- <command>
  create <name>             store a new key and print it (shown this once only)
  list                      list the keys: id, prefix, name, created, last used, revoked
  revoke <id|prefix|key>    revoke a key: requests with it get 403 from then on
  generate                  print a random key without storing it (for API_KEYS)`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const day = (date: Date | null): string => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-');

function table(keys: ApiKey[]): string[] {
  const rows = [
    ['ID', 'PREFIX', 'NAME', 'CREATED', 'LAST USED', 'REVOKED'],
    ...keys.map((k) => [k.id, `${k.prefix}…`, k.name, day(k.createdAt), day(k.lastUsedAt), day(k.revokedAt)]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}

/**
 * `npm run apikey -- <command>`: one command against the configured database.
 * `connect` opens it only for the commands that need it. Resolves with the exit code.
 */
export async function runApiKeyCommand(args: string[], connect: () => Promise<ApiKeysService>, io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'create': {
        if (rest.length === 0) throw new ApiKeyCommandError('create needs a name, e.g. `npm run apikey -- create ci-deploy`');
        const { key, apiKey } = await (await connect()).create(rest.join(' '));
        io.out(`Created API key ${apiKey.id} "${apiKey.name}" (prefix ${apiKey.prefix}). Store it now, it is not shown again:`);
        io.out(key);
        return 0;
      }
      case 'list': {
        const keys = await (await connect()).list();
        if (keys.length === 0) io.out('No API keys. Create one with `npm run apikey -- create <name>`.');
        else for (const line of table(keys)) io.out(line);
        return 0;
      }
      case 'revoke': {
        if (rest.length !== 1) throw new ApiKeyCommandError('revoke needs one id, prefix or key (see `list`)');
        const key = await (await connect()).revoke(rest[0]);
        io.out(`Revoked API key ${key.id} "${key.name}" (prefix ${key.prefix}) at ${day(key.revokedAt)}.`);
        return 0;
      }
      case 'generate':
        io.out(generateApiKey());
        return 0;
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new ApiKeyCommandError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (error) {
    if (!(error instanceof ApiKeyCommandError)) throw error;
    io.err(`apikey: ${error.message}`);
    return 1;
  }
}
