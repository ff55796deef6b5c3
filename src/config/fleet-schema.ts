/**
 * The schema of `fleet`: this Junction follows a config document kept in etcd (docs/fleet.md). Only
 * the local file may have it: it says where the fleet is, which a document in the fleet cannot say.
 * Files (TLS material, the password or token) are read at load, so a missing one has a position.
 */
import * as z from 'zod';
import { readFileSync } from 'node:fs';
import { configPath, pemFile } from './config-files.ts';
import { describeValue } from './describe-value.ts';
import type { SchemaOptions } from './schema-options.ts';
import { duration, oneOrMany, optional, parsed, strictObject, type ParseResult } from './schema-toolkit.ts';

/** How long an instance's lease lives without a renewal (renewed every third of it). */
export const DEFAULT_FLEET_LEASE_TTL_MS = 10_000;

/** `fleet:` as Junction uses it; see docs/configuration.md#fleet. */
export interface FleetConfig {
  readonly endpoints: readonly string[];
  /** The keys' prefix, without a trailing slash: the document is `<prefix>/config`. */
  readonly prefix: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string } | undefined;
  readonly auth?:
    | { readonly kind: 'password'; readonly username: string; readonly password: string }
    | { readonly kind: 'token'; readonly token: string }
    | undefined;
  /** Where the last applied fleet document is kept (absolute path); undefined: not kept. */
  readonly cacheFile?: string | undefined;
  /** The instance's name under `<prefix>/instances/`; undefined: host name and first listener port. */
  readonly instanceId?: string | undefined;
  readonly leaseTtlMs: number;
}

/** A small text file (a password, a token), trailing newline dropped. */
function textFile(baseDir: string) {
  return parsed<string, string>(z.string(), (name): ParseResult<string> => {
    try {
      const text = readFileSync(configPath(baseDir, name), 'utf8').trim();
      if (text === '') return { ok: false, problem: `'${name}' is empty` };
      return { ok: true, value: text };
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { ok: false, problem: `cannot read '${name}' (${reason})` };
    }
  });
}

const endpoint = parsed<string, string>(z.string(), (text) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: `must be a URL such as http://127.0.0.1:2379, got ${describeValue(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, problem: `must be an http:// or https:// URL, got ${describeValue(text)}` };
  if (url.pathname !== '/' || url.search !== '')
    return { ok: false, problem: `must be a scheme, host and port only, got ${describeValue(text)}` };
  return { ok: true, value: url.origin };
});

const prefix = parsed<string, string>(z.string(), (text) => {
  const trimmed = text.replace(/\/+$/, '');
  if (!text.startsWith('/') || trimmed === '')
    return { ok: false, problem: `must be a key prefix such as /junction/prod, got ${describeValue(text)}` };
  return { ok: true, value: trimmed };
});

const instanceId = parsed<string, string>(z.string(), (text) =>
  /^[A-Za-z0-9._:-]{1,128}$/.test(text)
    ? { ok: true, value: text }
    : {
        ok: false,
        problem: `must be 1 to 128 letters, digits, '.', '_', ':' or '-', got ${describeValue(text)}`,
      },
);

export function fleetSection(options: SchemaOptions) {
  const etcd = strictObject(
    {
      endpoints: oneOrMany(endpoint, 'must be a URL or a list of URLs'),
      prefix,
      tls: optional(
        strictObject(
          {
            ca_file: optional(pemFile(options.baseDir)),
            cert_file: optional(pemFile(options.baseDir)),
            key_file: optional(pemFile(options.baseDir)),
          },
          'must be a mapping of ca_file, cert_file and key_file',
        ).superRefine((value, ctx) => {
          if ((value.cert_file === undefined) !== (value.key_file === undefined)) {
            ctx.addIssue({ code: 'custom', message: 'cert_file and key_file go together' });
          }
        }),
      ),
      username: optional(z.string().min(1, 'must not be empty')),
      password_file: optional(textFile(options.baseDir)),
      token_file: optional(textFile(options.baseDir)),
    },
    'must be a mapping with at least endpoints and prefix',
  ).superRefine((value, ctx) => {
    if ((value.username === undefined) !== (value.password_file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.username === undefined ? 'password_file' : 'username'],
        message: 'username and password_file go together',
      });
    }
    if (value.token_file !== undefined && value.username !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_file'],
        message: 'give username/password_file or token_file, not both',
      });
    }
  });
  return strictObject(
    {
      etcd,
      cache_file: optional(
        z
          .string()
          .min(1, 'must not be empty')
          .transform((name) => configPath(options.baseDir, name)),
      ),
      instance_id: optional(instanceId),
      lease_ttl: optional(duration(2_000)),
    },
    'must be a mapping with at least etcd',
  );
}

export type RawFleet = z.output<ReturnType<typeof fleetSection>>;

export function buildFleetConfig(raw: RawFleet): FleetConfig {
  const { etcd } = raw;
  const tls =
    etcd.tls === undefined
      ? undefined
      : {
          ...(etcd.tls.ca_file === undefined ? {} : { ca: etcd.tls.ca_file.pem }),
          ...(etcd.tls.cert_file === undefined ? {} : { cert: etcd.tls.cert_file.pem }),
          ...(etcd.tls.key_file === undefined ? {} : { key: etcd.tls.key_file.pem }),
        };
  const auth =
    etcd.username !== undefined && etcd.password_file !== undefined
      ? { kind: 'password' as const, username: etcd.username, password: etcd.password_file }
      : etcd.token_file !== undefined
        ? { kind: 'token' as const, token: etcd.token_file }
        : undefined;
  return {
    endpoints: etcd.endpoints,
    prefix: etcd.prefix,
    tls,
    auth,
    cacheFile: raw.cache_file,
    instanceId: raw.instance_id,
    leaseTtlMs: raw.lease_ttl ?? DEFAULT_FLEET_LEASE_TTL_MS,
  };
}
