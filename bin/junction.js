#!/usr/bin/env node
// The `junction` command. The CLI lives in src/cli/ and runs from the compiled dist/ (npm run build).
const { main } = await import('../dist/cli/main.js');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened before main() resolves. Should a stray handle still hold the
// event loop, do not hang a shutdown on it: exit anyway after a moment (unref: never delays an exit).
setTimeout(() => process.exit(code), 2000).unref();
