#!/usr/bin/env node
// The `junction` command. The CLI lives in src/cli/ and runs from the compiled dist/: `npm install`,
// `npm ci` and `npm pack` build it (the `prepare` script); `npm run build` rebuilds it by hand.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  // A source checkout installed with --ignore-scripts, or dist/ removed: say so rather than crash.
  process.stderr.write(
    'junction: the compiled CLI (dist/) is missing: run `npm run build` in the package directory\n',
  );
  process.exit(1);
}
const command = process.argv[2];
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  // The reader stopped early (`junction schema | head`): stop quietly, as Unix tools do. A running
  // proxy keeps serving; what it would have printed is dropped.
  if (command !== 'run') process.exit(process.exitCode ?? 0);
});
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened before main() resolves. Should a stray handle still hold the
// event loop, do not hang a shutdown on it: exit anyway after a moment (unref: never delays an exit).
setTimeout(() => process.exit(code), 2000).unref();
