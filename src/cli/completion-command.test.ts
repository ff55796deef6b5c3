/**
 * The completion scripts: bash's is sourced in a real bash and asked for candidates as the shell would
 * ask (COMP_WORDS, COMP_CWORD, then the function); zsh's and fish's are checked by their shell's
 * parser when that shell is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findTool, requireTool } from '../../test/support/system-tools.ts';
import { completionScript } from './completion-command.ts';
import { COMMANDS } from './cli-spec.ts';

const dir = mkdtempSync(join(tmpdir(), 'junction-completion-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function scriptFile(shell: 'bash' | 'zsh' | 'fish'): string {
  const file = join(dir, `junction.${shell}`);
  writeFileSync(file, completionScript(shell));
  return file;
}

/** What bash offers after `words` (the last one is the word being completed). */
function bashCandidates(words: readonly string[]): string[] {
  const quoted = words.map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = [
    `source '${scriptFile('bash')}'`,
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    '_junction',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe.skipIf(findTool('bash') === undefined)('bash', () => {
  test('registers a completion for junction', () => {
    const result = spawnSync(
      'bash',
      ['--norc', '-c', `source '${scriptFile('bash')}'; complete -p junction`],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
    expect(result.stdout.trim()).toBe('complete -F _junction junction');
  });

  test.each<[string[], string[]]>([
    // Every command of the spec's table, in its order, then the flags that answer like commands.
    [
      ['junction', ''],
      [...COMMANDS, '--help', '--version'],
    ],
    [
      ['junction', 'c'],
      ['check', 'ctl', 'completion'],
    ],
    [
      ['junction', 'run', '--w'],
      ['--watch', '--workers'],
    ],
    [['junction', 'run', '--workers', ''], ['auto']],
    [
      ['junction', 'check', '-'],
      ['--config', '--help', '-c', '-h'],
    ],
    [['junction', 'ctl', 'st'], ['status']],
    [['junction', 'ctl', '--admin', '127.0.0.1:9901', 'b'], ['backends']],
    [
      ['junction', 'ctl', '--admin', '127.0.0.1:9901', 'backends', ''],
      ['add', 'remove', 'drain'],
    ],
    [['junction', 'ctl', '-c', 'x.yaml', 'config', 'e'], ['export']],
    [['junction', 'ctl', '--j'], ['--json']],
    [
      ['junction', 'completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['junction', 'help', 'r'], ['run']],
    [['junction', 'schema', ''], []],
  ])('%j offers %j', (words, expected) => {
    expect(bashCandidates(words)).toEqual(expected);
  });

  test('-c completes file names', () => {
    writeFileSync(join(dir, 'proxy.yaml'), '');
    expect(bashCandidates(['junction', 'run', '-c', 'prox'])).toEqual(['proxy.yaml']);
  });
});

describe.each(['zsh', 'fish'] as const)('%s', (shell) => {
  test('the script names every command and the ctl subcommands', () => {
    const script = completionScript(shell);
    for (const word of [
      'run',
      'check',
      'ctl',
      'schema',
      'completion',
      'status',
      'backends',
      'drain',
      '--watch',
    ]) {
      expect(script).toContain(word.startsWith('--') && shell === 'fish' ? `-l ${word.slice(2)}` : word);
    }
  });

  test('parses (shell -n)', (context) => {
    const path = requireTool(context, shell, `Debian's ${shell} package (apt-get install ${shell})`);
    const result = spawnSync(path, ['-n', scriptFile(shell)], { encoding: 'utf8', timeout: 10_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
