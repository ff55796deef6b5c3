/**
 * The npm package as users get it: `npm pack` ships the compiled dist/ (with its type declarations) and
 * bin/, and none of the sources, tests or source maps; the tarball, unpacked into a node_modules beside
 * only its declared dependencies, runs `junction --version`, `--help` and `check`, and imports as a
 * library. A fresh clone builds dist/ on `npm ci` (the `prepare` script), so `npx junction` works at once.
 * Packing skips the lifecycle scripts: it ships the dist/ that `npm test` has just built.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly main: string;
  readonly types: string;
  readonly bin: Readonly<Record<string, string>>;
  readonly scripts: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 15_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `src/a/b.ts` → `dist/a/b.js`, for every module the build compiles (tests excluded). */
function compiledModules(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return compiledModules(path);
    if (!entry.name.endsWith('.ts') || /\.test(-suite)?\.ts$/.test(entry.name)) return [];
    return [`dist/${relative(join(ROOT, 'src'), path).replace(/\.ts$/, '.js')}`];
  });
}

const packed = { files: [] as string[] };

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does) before this test');
  }
  const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
  expect(result.code, result.stderr).toBe(0);
  const [report] = JSON.parse(result.stdout) as [{ files: { path: string }[] }];
  packed.files = report.files.map((file) => file.path);
}, 30_000);

describe('npm pack', () => {
  test('ships the entry points package.json names: main, types, bin', () => {
    for (const path of [manifest.main, manifest.types, ...Object.values(manifest.bin)]) {
      expect(packed.files).toContain(path.replace(/^\.\//, ''));
    }
    expect(packed.files).toContain('dist/index.js');
    expect(packed.files).toContain('dist/index.d.ts');
    expect(packed.files).toContain('bin/junction.js');
    expect(packed.files).toContain('README.md');
    // The dashboard's page is served from the package, with no build step.
    for (const asset of ['dashboard/index.html', 'dashboard/dashboard.css', 'dashboard/dashboard.js']) {
      expect(packed.files).toContain(asset);
    }
    expect(readFileSync(join(ROOT, 'bin/junction.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  test('ships every compiled module with its declarations', () => {
    const missing = compiledModules().filter(
      (js) => !packed.files.includes(js) || !packed.files.includes(js.replace(/\.js$/, '.d.ts')),
    );
    expect(missing).toEqual([]);
  });

  test('ships no sources, tests, source maps or dev files', () => {
    const unwanted = packed.files.filter(
      (path) =>
        /^(src|test|bench|coverage|node_modules|\.ci|\.github)\//.test(path) ||
        path.endsWith('.map') ||
        /\.test(-suite)?\.(ts|js)$/.test(path) ||
        (path.endsWith('.ts') && !path.endsWith('.d.ts')) ||
        /^(tsconfig[^/]*|eslint\.config\.js|vitest\.config\.ts)$/.test(path),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('a fresh clone', () => {
  test('builds dist/ on npm ci and npm install (the prepare script runs the build)', () => {
    const prepare = manifest.scripts['prepare'] ?? '';
    expect(prepare).toMatch(/\bnpm run build\b|\btsc -p tsconfig\.build\.json\b/);
    expect(manifest.scripts['build']).toContain('tsc -p tsconfig.build.json');
  });

  test('a checkout whose dist/ is missing says how to build it, instead of a module-not-found stack', async () => {
    const dir = await tempDir('junction-unbuilt-');
    await mkdir(join(dir, 'bin'));
    await copyFile(join(ROOT, 'bin/junction.js'), join(dir, 'bin/junction.js'));
    const result = await run(process.execPath, [join(dir, 'bin/junction.js'), '--version'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm run build');
    expect(result.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });
});

describe('the packed tarball, installed', () => {
  /**
   * node_modules/junction-proxy is the unpacked tarball; beside it, only the declared dependencies
   * (linked from this checkout), so a runtime import of an undeclared package fails here as it would
   * for a user. Offline: nothing is fetched.
   */
  async function install(): Promise<{ dir: string; bin: string }> {
    const dir = await tempDir('junction-installed-');
    const packResult = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
      ROOT,
    );
    expect(packResult.code, packResult.stderr).toBe(0);
    const [{ filename }] = JSON.parse(packResult.stdout) as [{ filename: string }];
    const modules = join(dir, 'node_modules');
    await mkdir(modules);
    const unpacked = await run('tar', ['-xzf', join(dir, filename), '-C', modules], dir);
    expect(unpacked.code, unpacked.stderr).toBe(0);
    // npm tarballs hold the package under `package/`; installed, it sits under its name.
    const installed = join(modules, manifest.name);
    await rename(join(modules, 'package'), installed);
    for (const dependency of Object.keys(manifest.dependencies)) {
      const link = join(modules, dependency);
      // A scoped package (@scope/name) sits in its scope's folder.
      await mkdir(dirname(link), { recursive: true });
      await symlink(realpathSync(join(ROOT, 'node_modules', dependency)), link);
    }
    return { dir, bin: join(installed, manifest.bin['junction']!) };
  }

  test('runs junction --version, version, --help and check, and imports as a library', async () => {
    const { dir, bin } = await install();
    const version = await run(process.execPath, [bin, '--version'], dir);
    expect(version.stderr).toBe('');
    expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    const versionCommand = await run(process.execPath, [bin, 'version'], dir);
    expect(versionCommand).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    const help = await run(process.execPath, [bin, '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: junction');
    const example = join(dir, 'node_modules', manifest.name, 'examples/quick-start.yaml');
    const check = await run(process.execPath, [bin, 'check', '-c', example], dir);
    expect(check.stderr).toBe('');
    expect(check).toMatchObject({ code: 0, stdout: `${example}: OK\n` });
    const library = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(manifest.name)}); console.log(typeof m.startJunction)`,
      ],
      dir,
    );
    expect(library.stderr).toBe('');
    expect(library).toMatchObject({ code: 0, stdout: 'function\n' });
  });
});
