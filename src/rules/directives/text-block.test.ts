import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compile, compileError, StubEnv } from './fake-txn.test-suite.ts';
import { createRuleResources } from './resources.ts';

async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('text-block-define', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'junction-textblock-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function define(value: unknown, resources = createRuleResources()): typeof resources {
    compile(
      'text-block-define',
      undefined,
      value,
      new StubEnv({ hook: 'post-load', baseDir: dir, resources }),
    );
    return resources;
  }

  it('a text alone is the block', () => {
    const resources = define({ name: 'motd', text: 'hello' });
    expect(resources.textBlock('motd')!()).toBe('hello');
  });

  it('a file is read relative to the base directory; the text is the fallback when it cannot be', () => {
    writeFileSync(join(dir, 'page.html'), '<p>down</p>\n');
    const resources = define({ name: 'page', path: 'page.html', text: 'fallback', duration: 0 });
    define({ name: 'other', path: 'missing.html', text: 'fallback', duration: 0 }, resources);
    expect(resources.textBlock('page')!()).toBe('<p>down</p>\n');
    expect(resources.textBlock('other')!()).toBe('fallback');
  });

  it('refuses a missing file without text, no source, a duplicate and other hooks', () => {
    const resources = createRuleResources();
    resources.defineTextBlock('taken', () => '');
    const load = { hook: 'post-load', baseDir: dir, resources } as const;
    expect(compileError('text-block-define', undefined, { name: 'a', path: 'nope.txt' }, load)).toMatch(
      /cannot read .*nope\.txt/,
    );
    expect(compileError('text-block-define', undefined, { name: 'a' }, load)).toMatch(/needs a path, a text/);
    expect(compileError('text-block-define', undefined, { name: 'taken', text: 'x' }, load)).toMatch(
      /already defined/,
    );
    expect(
      compileError('text-block-define', undefined, { name: 'a', text: 'x', duration: '1s' }, load),
    ).toMatch(/duration needs a path/);
    expect(compileError('text-block-define', undefined, { name: 'a', text: ['x'] }, load)).toMatch(
      /text must be a string/,
    );
    expect(compileError('text-block-define', undefined, { name: 'a', text: 'x', notify: 3 }, load)).toMatch(
      /notify must be a string/,
    );
    expect(compileError('text-block-define', undefined, { name: 'a', text: 'x', other: 'y' }, load)).toMatch(
      /does not take 'other'/,
    );
    expect(
      compileError(
        'text-block-define',
        undefined,
        { name: 'a', text: 'x' },
        { ...load, hook: 'read-request' },
      ),
    ).toMatch(/not valid/);
  });

  it('re-reads the file when it changes, falls back to the text when it is gone, and stops on dispose', async () => {
    const file = join(dir, 'block.txt');
    writeFileSync(file, 'one');
    const resources = define({ name: 'b', path: 'block.txt', text: 'fallback', duration: '20ms' });
    const block = resources.textBlock('b')!;
    expect(block()).toBe('one');

    writeFileSync(file, 'two, longer');
    await waitFor(() => block() === 'two, longer', 'the new text');

    rmSync(file);
    await waitFor(() => block() === 'fallback', 'the fallback');

    writeFileSync(file, 'three');
    await waitFor(() => block() === 'three', 'the file back');

    resources.dispose();
    writeFileSync(file, 'four, after dispose');
    await sleep(120);
    expect(block()).toBe('three');
  });

  it('without a text, a vanished file keeps the last contents and is reported', async () => {
    const file = join(dir, 'only.txt');
    writeFileSync(file, 'kept');
    const resources = createRuleResources();
    const errors: string[] = [];
    resources.onReloadError = (error, source) =>
      errors.push(`${source.kind} ${source.name}: ${error.message}`);
    define({ name: 'only', path: 'only.txt', duration: 20 }, resources);
    rmSync(file);
    await waitFor(() => errors.length > 0, 'the report');
    expect(errors[0]).toMatch(/^text-block only: .*only\.txt is gone/);
    expect(resources.textBlock('only')!()).toBe('kept');
    resources.dispose();
  });
});
