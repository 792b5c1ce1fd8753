import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const nest = async (args: string[], cwd = root) => {
  const { stdout } = await run(join(root, 'node_modules/.bin/nest'), args, { cwd, timeout: 60_000 });
  return { stdout: stripVTControlCharacters(stdout) };
};

/** Backend developers scaffold with the nest CLI: it must keep understanding the tree. */
describe('nest CLI scaffolding', () => {
  it('generates a module into the api app (dry run)', async () => {
    const { stdout } = await nest(['generate', 'module', 'widgets', '--project', 'api', '--dry-run']);
    expect(stdout).toContain('CREATE apps/api/src/widgets/widgets.module.ts');
    expect(stdout).toContain('UPDATE apps/api/src/app.module.ts');
  });

  it('generates a REST resource into the api app (dry run)', async () => {
    const { stdout } = await nest(['generate', 'resource', 'widgets', '--project', 'api', '--type', 'rest', '--crud', '--dry-run']);
    expect(stdout).toContain('CREATE apps/api/src/widgets/widgets.controller.ts');
    expect(stdout).toContain('CREATE apps/api/src/widgets/dto/create-widget.dto.ts');
  });

  it('generates a library without asking for a prefix (dry run)', async () => {
    const { stdout } = await nest(['generate', 'library', 'metrics', '--dry-run']);
    expect(stdout).toContain('CREATE libs/metrics/src/index.ts');
    expect(stdout).toContain('UPDATE tsconfig.json');
  });

  it('registers a generated library under the @linkpool prefix', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'linkpool-cli-'));
    try {
      for (const entry of ['nest-cli.json', 'package.json', 'tsconfig.json', 'apps', 'libs']) {
        await cp(join(root, entry), join(copy, entry), { recursive: true });
      }
      await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
      await nest(['generate', 'library', 'metrics'], copy);
      const tsconfig = await readFile(join(copy, 'tsconfig.json'), 'utf8');
      expect(tsconfig).toContain('"@linkpool/metrics"');
      const cli = JSON.parse(await readFile(join(copy, 'nest-cli.json'), 'utf8'));
      expect(cli.projects.metrics).toMatchObject({ type: 'library', root: 'libs/metrics' });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
