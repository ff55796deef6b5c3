/**
 * `junction ctl fleet cert list | put NAME CERT KEY | remove NAME`: the certificates the fleet keeps in
 * etcd at `<prefix>/certificates/<name>/cert` and `/key`. Like `fleet apply`: validated first (the pair,
 * and the local file merged with the document and the changed set, so a listener naming a certificate
 * that would go is refused here), then one transaction that writes both keys only if neither changed
 * since they were read (or since revision N); `--wait` until every live instance serves the change.
 * A private key is read and written, never printed.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  expiredProblem,
  FLEET_CERTIFICATE_NAME,
  fleetCertificateKey,
  inspectFleetCertificate,
  type FleetCertificates,
} from '../config/index.ts';
import { FleetError } from '../errors/index.ts';
import { certificateNames } from '../tls/index.ts';
import type { CliContext } from './cli-context.ts';
import {
  readFleet,
  validate,
  waitAndRevision,
  waitFor,
  withFleet,
  type Fleet,
  type FleetCtlOptions,
  type UsageErrorClass,
} from './ctl-fleet.ts';
import { formatTable } from './table.ts';

export type CertCommand =
  | { readonly action: 'list' }
  | {
      readonly action: 'put';
      readonly name: string;
      /** Reads the two files (a usage error when one cannot be read). */
      readonly read: () => Promise<{ cert: string; key: string }>;
    }
  | { readonly action: 'remove'; readonly name: string };

interface CertOptions {
  readonly waitMs: number | undefined;
  readonly ifRevision: number | undefined;
}

function checkName(name: string | undefined, Usage: UsageErrorClass): string {
  if (name === undefined) throw new Usage('ctl fleet cert put and remove need a NAME');
  if (!FLEET_CERTIFICATE_NAME.test(name)) {
    throw new Usage(
      `a certificate's name is letters, digits, '.', '_', '-' and '*' (one key segment), got '${name}'`,
    );
  }
  return name;
}

async function readPem(file: string, Usage: UsageErrorClass): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Usage(
      `cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

export function parseCertCommand(args: readonly string[], Usage: UsageErrorClass): CertCommand {
  const [action, name, ...rest] = args;
  const expect = (count: number): void => {
    if (rest.length > count) throw new Usage(`unexpected '${rest[count]!}'`);
  };
  switch (action) {
    case 'list':
      if (name !== undefined) throw new Usage(`unexpected '${name}'`);
      return { action };
    case 'put': {
      const checked = checkName(name, Usage);
      expect(2);
      const [certFile, keyFile] = rest;
      if (certFile === undefined || keyFile === undefined)
        throw new Usage('ctl fleet cert put needs NAME CERT_FILE KEY_FILE (PEM)');
      return {
        action,
        name: checked,
        read: async () => ({ cert: await readPem(certFile, Usage), key: await readPem(keyFile, Usage) }),
      };
    }
    case 'remove':
      expect(0);
      return { action, name: checkName(name, Usage) };
    case undefined:
    default:
      throw new Usage(
        `ctl fleet cert needs list, put NAME CERT_FILE KEY_FILE or remove NAME${action === undefined ? '' : `, got '${action}'`}`,
      );
  }
}

function certificateOf(pem: string | undefined): X509Certificate | undefined {
  try {
    return pem === undefined ? undefined : new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

async function list(fleet: Fleet, json: boolean, context: CliContext): Promise<number> {
  const state = await readFleet(fleet);
  const set = state.certificates;
  const rows = Object.keys(set.entries)
    .sort()
    .map((name) => {
      const checked = inspectFleetCertificate(set, name);
      // The certificate alone, so a refused pair still shows what it is.
      const x509 = certificateOf(set.entries[name]!.cert);
      return {
        name,
        revision: set.entries[name]!.revision,
        names: x509 === undefined ? '-' : certificateNames(x509).join(' '),
        not_after: x509 === undefined ? '-' : new Date(x509.validTo).toISOString(),
        fingerprint: x509?.fingerprint256 ?? '-',
        state: checked.ok
          ? expiredProblem(set, name) === undefined
            ? 'ok'
            : 'expired'
          : checked.error.problem,
      };
    });
  if (json) {
    context.stdout.write(`${JSON.stringify({ prefix: set.prefix, certificates: rows }, null, 2)}\n`);
    return 0;
  }
  context.stdout.write(`${set.prefix}: ${rows.length} certificate${rows.length === 1 ? '' : 's'}\n`);
  if (rows.length > 0) {
    context.stdout.write(
      formatTable(
        rows.map((r) => ({ ...r, 'not after': r.not_after })),
        ['name', 'revision', 'names', 'not after', 'fingerprint', 'state'],
      ),
    );
  }
  return 0;
}

/** What a put or remove leaves, validated with the local file and the document; false: refused. */
async function validateChange(
  fleet: Fleet,
  text: string,
  certificates: FleetCertificates,
  context: CliContext,
): Promise<boolean> {
  const config = await validate(fleet, text, fleet.key, certificates, context);
  config?.rules?.dispose();
  return config !== undefined;
}

async function change(
  fleet: Fleet,
  command: Exclude<CertCommand, { action: 'list' }>,
  files: { cert: string; key: string } | undefined,
  options: CertOptions,
  context: CliContext,
): Promise<number> {
  const state = await readFleet(fleet);
  const set = state.certificates;
  const name = command.name;
  const certKey = fleetCertificateKey(set.prefix, name, 'cert');
  const keyKey = fleetCertificateKey(set.prefix, name, 'key');
  // The compare-and-swap is on both keys as read here (validation time included).
  const { kvs } = await fleet.client.range(`${set.prefix}${name}/`, { prefix: true });
  const modOf = (key: string): number => kvs.find((kv) => kv.key === key)?.modRevision ?? 0;
  const seen = set.entries[name]?.revision ?? 0;
  if (options.ifRevision !== undefined && options.ifRevision !== seen) {
    return conflict(fleet, name, options.ifRevision, seen, context);
  }
  if (command.action === 'remove' && set.entries[name] === undefined) {
    context.stderr.write(`junction ctl: ${certKey}: no such certificate; nothing was removed\n`);
    return 1;
  }
  const entries = Object.fromEntries(Object.entries(set.entries).filter(([n]) => n !== name));
  if (command.action === 'put') entries[name] = { cert: files!.cert, key: files!.key, revision: seen };
  const next: FleetCertificates = { prefix: set.prefix, entries };
  if (command.action === 'put') {
    const checked = inspectFleetCertificate(next, name);
    const problem = checked.ok ? expiredProblem(next, name) : checked.error;
    if (problem !== undefined) {
      context.stderr.write(`${problem.message}\n`);
      context.stderr.write(`junction ctl: the certificate '${name}' is refused; nothing was written\n`);
      return 1;
    }
  }
  if (!(await validateChange(fleet, state.document?.text ?? '', next, context))) {
    context.stderr.write(
      `junction ctl: ${command.action === 'put' ? 'putting' : 'removing'} the certificate '${name}' leaves a config that does not validate; nothing was written\n`,
    );
    return 1;
  }
  const compare = [
    { key: certKey, modRevision: modOf(certKey) },
    { key: keyKey, modRevision: modOf(keyKey) },
  ];
  const written = await fleet.client.txn(
    compare,
    command.action === 'put'
      ? [
          { put: certKey, value: files!.cert },
          { put: keyKey, value: files!.key },
        ]
      : [{ delete: certKey }, { delete: keyKey }],
  );
  if (!written.succeeded) {
    const now = (await readFleet(fleet)).certificates.entries[name]?.revision ?? 0;
    return conflict(fleet, name, seen, now, context);
  }
  context.stdout.write(
    `${set.prefix}${name}: ${command.action === 'put' ? 'written' : 'removed'} at revision ${written.revision}\n`,
  );
  return options.waitMs === undefined ? 0 : waitFor(fleet, written.revision, options.waitMs, context);
}

function conflict(fleet: Fleet, name: string, seen: number, now: number, context: CliContext): number {
  const error = new FleetError(
    'JCT_ERR_FLEET_CONFLICT',
    `${fleet.fleet.prefix}/certificates/${name} changed since it was read (revision ${seen}, now ${now}): nothing was written; list the certificates and try again`,
  );
  context.stderr.write(`junction ctl: ${error.message} (${error.code})\n`);
  return 1;
}

/** `ctl fleet cert ...` (args after `cert`). */
export async function runCtlFleetCert(
  args: readonly string[],
  options: FleetCtlOptions,
  context: CliContext,
  Usage: UsageErrorClass,
): Promise<number> {
  const command = parseCertCommand(args, Usage);
  const { waitMs, ifRevision } = waitAndRevision(
    options,
    command.action !== 'list',
    'fleet cert put and remove',
    Usage,
  );
  const files = command.action === 'put' ? await command.read() : undefined;
  return withFleet(options, context, Usage, (fleet) => {
    if (command.action === 'list') return list(fleet, options.json === true, context);
    return change(fleet, command, files, { waitMs, ifRevision }, context);
  });
}
