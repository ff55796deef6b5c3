/**
 * The docs stay true: every shell command in a ```sh or ```bash block of README.md, CONTRIBUTING.md and
 * docs/*.md is either run here (the built `junction` on PATH, in a directory where examples/ is the
 * repository's) and must exit 0, or matches one entry of NOT_RUN, which says why it cannot run here.
 * A command that is neither fails the test: make it runnable, or add it to NOT_RUN with its reason.
 * Every ```yaml block that is a whole config (a mapping with `listeners`) must pass `junction check`,
 * unless YAML_NOT_CHECKED says why not.
 * A block right after `<!-- file: NAME -->` is a file the doc's examples use: `junction explain` and
 * `junction preview` commands of that doc (its ```sh lines, and the `$` lines of its ```console
 * transcripts, whose output must then be printed exactly as shown) run in a directory holding them.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { JUNCTION_BIN } from '../support/junction-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** Commands that cannot run here, each with the reason. Checked in order; the first match wins. */
const NOT_RUN: readonly (readonly [RegExp, string])[] = [
  [/^curl\b/, 'asks a running Junction; the e2e tests cover what it answers'],
  [/^(sudo|docker)\b/, 'needs root or a container engine; test/e2e/deployment.test.ts checks those files'],
  [
    /^npm (install|ci|start|test)\b|^npm install\b/,
    'installs dependencies, serves until stopped, or runs the whole suite',
  ],
  [/\bbench\/|compare\.sh/, 'a benchmark: minutes of load on a quiet machine, not a check'],
  [/^git worktree add\b/, 'a second checkout to benchmark beside this one'],
  [
    /^(npx )?junction run\b(?!.* (--help|-h)\b)/,
    'serves until stopped; test/e2e/cli.test.ts and signals.test.ts run it',
  ],
  [
    /^(npx )?junction ctl\b/,
    "asks a running Junction's admin API; test/e2e/ctl.test.ts runs every subcommand",
  ],
  [/^node -e .*\.listen\(/, 'starts a backend that serves until stopped'],
  [/ -c junction\.yaml\b/, "names the reader's own config file, which is not in the repository"],
];

/** Commands run here: the ones that check, print or help, and need nothing running. */
const RUNNABLE =
  /^((npx )?junction ((check|schema|completion|version|help|--help|-h|--version|-v)\b|(run|ctl) .*(--help|-h)\b)|source <\((npx )?junction completion )/;

/** Whole-config YAML blocks not checked, by document and a line of the block, with the reason. */
const YAML_NOT_CHECKED: readonly (readonly [string, string, string])[] = [
  [
    'docs/configuration.md',
    'cert_file: certs/example.com.pem',
    "names certificate files the reader has; test/e2e/tls-example.test.ts runs examples/tls/https.yaml with a test CA's",
  ],
  ['docs/configuration.md', 'sni_routes:', 'an excerpt: the listeners of a config whose clusters are elided'],
  [
    'docs/configuration.md',
    'access_log: { path: /var/log/junction/access.log }',
    'an excerpt: its clusters are elided',
  ],
  [
    'docs/configuration.md',
    'http2: { max_concurrent_streams: 256 }',
    'an excerpt: names certificate files the reader has; test/e2e/http2-front.test.ts runs such listeners',
  ],
  [
    'docs/configuration.md',
    'client_certificates: { verify: required, ca_file: clients-ca.pem }',
    'an excerpt: names certificate files the reader has; test/e2e/mutual-tls.test.ts runs such listeners',
  ],
  [
    'docs/fleet.md',
    '- fleet: www # <prefix>/certificates/www/',
    "an excerpt: names the fleet's certificates and files the reader has; test/e2e/fleet-certs.test.ts runs such listeners",
  ],
  [
    'docs/http2.md',
    'alpn: [h2, http/1.1] # offer HTTP/2 first',
    'an excerpt: names certificate files the reader has; test/e2e/http2-front.test.ts runs such listeners',
  ],
];

interface Block {
  readonly doc: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** The name `<!-- file: NAME -->` gives the block, when the comment comes right before it. */
  readonly file: string | undefined;
}

function blocksOf(doc: string): Block[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  let open: { lang: string; line: number; body: string[]; file: string | undefined } | undefined;
  let file: string | undefined;
  lines.forEach((line, index) => {
    const fence = /^\s*```(\S*)\s*$/.exec(line);
    if (fence === null) {
      if (open !== undefined) open.body.push(line);
      else if (/^<!-- file: (\S+) -->$/.test(line)) file = /^<!-- file: (\S+) -->$/.exec(line)![1];
      else if (line.trim() !== '') file = undefined;
    } else if (open === undefined) {
      open = { lang: fence[1] ?? '', line: index + 1, body: [], file };
      file = undefined;
    } else {
      blocks.push({ doc, line: open.line, lang: open.lang, text: open.body.join('\n'), file: open.file });
      open = undefined;
    }
  });
  return blocks;
}

/**
 * The commands of a shell block: lines joined at trailing backslashes, comments and blank lines left
 * out. A block written as a transcript (`$ command` then its output) yields only its `$` lines.
 */
function commandsOf(text: string): string[] {
  const lines = text.split('\n');
  const transcript = lines.some((line) => line.startsWith('$ '));
  const commands: string[] = [];
  let current = '';
  for (const raw of lines) {
    if (transcript && !raw.startsWith('$ ') && current === '') continue;
    const line = (transcript && current === '' ? raw.slice(2) : raw).trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    current += line;
    if (current.endsWith('\\')) {
      current = `${current.slice(0, -1)} `;
      continue;
    }
    commands.push(current);
    current = '';
  }
  return commands;
}

const blocks = DOCS.flatMap(blocksOf);
const shellCommands = blocks
  .filter((block) => block.lang === 'sh' || block.lang === 'bash')
  .flatMap((block) => commandsOf(block.text).map((command) => ({ ...block, command })));
const configBlocks = blocks.filter((block) => {
  if (block.lang !== 'yaml' && block.lang !== 'yml') return false;
  try {
    const value: unknown = parse(block.text);
    return value !== null && typeof value === 'object' && 'listeners' in value;
  } catch {
    return false;
  }
});

/** A directory like a checkout's root for the commands: examples/ is the repository's, `junction` is on PATH. */
const work = mkdtempSync(join(tmpdir(), 'junction-docs-'));
const bin = join(work, '.bin');
symlinkSync(join(ROOT, 'examples'), join(work, 'examples'));
// The plugin tutorial (docs/plugins.md) copies examples/plugins/ beside its junction.yaml.
symlinkSync(join(ROOT, 'examples', 'plugins'), join(work, 'plugins'));
spawnSync('mkdir', [bin]);
writeFileSync(join(bin, 'junction'), `#!/bin/sh\nexec "${process.execPath}" "${JUNCTION_BIN}" "$@"\n`);
chmodSync(join(bin, 'junction'), 0o755);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The files of a doc's examples (`<!-- file: NAME -->` blocks), written to a directory of their own. */
const exampleDirs = new Map<string, string>();
for (const block of blocks) {
  if (block.file === undefined) continue;
  let dir = exampleDirs.get(block.doc);
  if (dir === undefined) {
    dir = join(work, `files-${block.doc.replace(/[/.]/g, '-')}`);
    spawnSync('mkdir', [dir]);
    exampleDirs.set(block.doc, dir);
  }
  writeFileSync(join(dir, block.file), `${block.text}\n`);
}

/** `junction explain` and `junction preview` run where their doc's example files are. */
const EXAMPLE_COMMAND = /^(npx )?junction (explain|preview)\b/;

function runInShell(command: string, env: Readonly<Record<string, string>> = {}, cwd = work) {
  // `npx junction` is the same command once installed; npx would look for it in a node_modules here.
  const line = command.replace(/(^|[\s(<])npx junction\b/g, '$1junction');
  return spawnSync('bash', ['--norc', '--noprofile', '-o', 'pipefail', '-c', line], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, ...env },
  });
}

test('the docs have shell commands and configs to check', () => {
  expect(shellCommands.length).toBeGreaterThan(20);
  expect(configBlocks.length).toBeGreaterThan(5);
});

describe('shell commands in the docs', () => {
  test.for(shellCommands.map((c) => [`${c.doc}:${c.line} ${c.command}`, c.command] as const))(
    '%s',
    ([name, command], context) => {
      const examples = exampleDirs.get(name.slice(0, name.indexOf(':')));
      if (examples !== undefined && EXAMPLE_COMMAND.test(command)) {
        const result = runInShell(command, {}, examples);
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        return;
      }
      const skipped = NOT_RUN.find(([pattern]) => pattern.test(command));
      if (skipped !== undefined) context.skip(`not run: ${skipped[1]}`);
      expect(
        RUNNABLE.test(command),
        `'${command}' neither runs here nor is in NOT_RUN with a reason: add it to one of them`,
      ).toBe(true);
      const result = runInShell(command);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});

/** Environment for the configs that show `${VAR}` references: the docs leave some unset on purpose. */
const CONFIG_ENV: Readonly<Record<string, string>> = {
  APP_HOST: '127.0.0.1',
  JUNCTION_ADMIN_TOKEN: 'a-token-of-24-characters',
};

describe('whole configs in the docs pass junction check', () => {
  test.for(configBlocks.map((b) => [`${b.doc}:${b.line}`, b] as const))('%s', ([name, block], context) => {
    const skipped = YAML_NOT_CHECKED.find(([doc, line]) => doc === block.doc && block.text.includes(line));
    if (skipped !== undefined) context.skip(`not checked: ${skipped[2]}`);
    const file = join(work, `${name.replace(/[/:.]/g, '-')}.yaml`);
    writeFileSync(file, block.text);
    const result = runInShell(`junction check -c '${file}'`, CONFIG_ENV);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

/** The `$ junction explain|preview` lines of console transcripts, with the output each shows. */
const transcripts = blocks
  .filter((block) => block.lang === 'console' && exampleDirs.has(block.doc))
  .flatMap((block) => {
    const found: { name: string; doc: string; command: string; output: string }[] = [];
    let current: { command: string; output: string[] } | undefined;
    const close = () => {
      if (current !== undefined && EXAMPLE_COMMAND.test(current.command))
        found.push({
          name: `${block.doc}:${block.line} ${current.command}`,
          doc: block.doc,
          command: current.command,
          output: `${current.output.join('\n')}\n`,
        });
    };
    for (const line of block.text.split('\n')) {
      if (line.startsWith('$ ')) {
        close();
        current = { command: line.slice(2), output: [] };
      } else current?.output.push(line);
    }
    close();
    return found;
  });

describe('explain and preview transcripts in the docs print exactly what is shown', () => {
  test('operations.md has them', () => {
    expect(transcripts.filter((t) => t.doc === 'docs/operations.md').length).toBeGreaterThanOrEqual(3);
  });
  test.for(transcripts.map((t) => [t.name, t] as const))('%s', ([, t]) => {
    const result = runInShell(t.command, {}, exampleDirs.get(t.doc));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(t.output);
  });
});
