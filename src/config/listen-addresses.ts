/**
 * Listen addresses written as host names must resolve, or binding fails with a bare `getaddrinfo
 * ENOTFOUND` and no position. `junction run` and reloads check them here, where the YAML positions are
 * still known; `junction check` only warns (a name may resolve where Junction runs and not where CI does).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError } from '../errors/index.ts';
import { formatKeyPath, type KeyPath } from './config-issue.ts';
import type { JunctionConfig } from './types.ts';
import type { YamlPositions } from './yaml-document.ts';

/** A resolver that does not answer within this is taken as failing. */
const LOOKUP_TIMEOUT_MS = 5_000;

async function resolves(name: string): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve('no answer within 5 s');
    }, LOOKUP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      lookup(name).then(
        () => undefined,
        (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A problem for each listen address (listeners, admin) that is a name which does not resolve. */
export async function unresolvedListenAddresses(
  config: JunctionConfig,
  positions: YamlPositions,
): Promise<ConfigError[]> {
  const names: { path: KeyPath; name: string }[] = config.listeners.map((listener, index) => ({
    path: ['listeners', index, 'address'],
    name: listener.address,
  }));
  if (config.admin !== undefined) names.push({ path: ['admin', 'address'], name: config.admin.address });
  const named = names.filter(({ name }) => isIP(name) === 0);
  const failures = await Promise.all(named.map(({ name }) => resolves(name)));
  return named.flatMap(({ path, name }, index) => {
    const reason = failures[index];
    if (reason === undefined) return [];
    const { line, column } = positions.position(positions.offsetOf({ path, target: 'value', message: '' }));
    return [
      new ConfigError(
        `address: '${name}' does not resolve (${reason}), so Junction cannot listen on it`,
        { file: config.source, line, column, keyPath: formatKeyPath(path) },
        'JCT_ERR_CONFIG_INVALID',
      ),
    ];
  });
}
