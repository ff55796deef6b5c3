/**
 * For the dashboard tests: Junction with its admin API (and so its dashboard) on 127.0.0.1 port 0,
 * with or without a token, and a client that sends what a browser would (Origin, Sec-Fetch-Site, Host).
 */
import { onTestFinished } from 'vitest';
import { ConfigStore, startAdmin, type AdminServer } from '../../src/admin/index.ts';
import { request, type HttpResponse } from './clients.ts';
import { startJunctionFromYaml, type RunningJunction } from './start-junction.ts';

export interface JunctionWithDashboard {
  readonly junction: RunningJunction;
  readonly admin: AdminServer;
  readonly store: ConfigStore;
  /** A request to the admin listener; `token` adds the bearer token, `headers` anything else. */
  call(
    method: string,
    path: string,
    options?: { token?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<HttpResponse>;
}

export async function startWithDashboard(
  yaml: string,
  options: { token?: string } = {},
): Promise<JunctionWithDashboard> {
  const junction = await startJunctionFromYaml(yaml);
  onTestFinished(() => junction.close(1000));
  const store = new ConfigStore(junction.server);
  const admin = await startAdmin(store, { address: '127.0.0.1', port: 0, token: options.token });
  onTestFinished(() => admin.close());
  return {
    junction,
    admin,
    store,
    call: (method, path, { token, headers = {}, body } = {}) =>
      request(admin.port, {
        method,
        path,
        headers: {
          host: `127.0.0.1:${admin.port}`,
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

/** The headers a browser adds to a request made by a page of `origin` to the admin listener. */
export function fromPage(
  origin: string,
  site: 'same-origin' | 'same-site' | 'cross-site',
): Record<string, string> {
  return { origin, 'sec-fetch-site': site, 'sec-fetch-mode': 'cors' };
}
