/**
 * Certificates the fleet keeps in etcd, `<prefix>/certificates/<name>/cert` and `/key` (PEM), and how
 * a listener of the local file names one: `tls.certificates: [{ fleet: <name> }]` (docs/fleet.md).
 * The local file owns listeners; the fleet owns the certificate's bytes. A set is checked whole before
 * any listener uses it (each half present, PEM, key matching certificate), every problem naming the
 * etcd key it is about, so a bad pair is refused like a bad document and the running pair keeps serving.
 */
import { ConfigError } from '../errors/index.ts';
import { inspectCertificate, type CertificateFacts } from '../tls/index.ts';

/** One certificate as read from etcd; a half not (yet) written is undefined. */
export interface FleetCertificate {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The highest mod_revision of its two keys. */
  readonly revision: number;
}

/** The fleet's certificates, by name, and the key prefix they were read under. */
export interface FleetCertificates {
  /** `<prefix>/certificates/`, with the trailing slash. */
  readonly prefix: string;
  readonly entries: Readonly<Record<string, FleetCertificate>>;
}

/** A certificate's name: one path segment of its etcd key, as people name certificates. */
export const FLEET_CERTIFICATE_NAME = /^[A-Za-z0-9*][A-Za-z0-9._*-]{0,252}$/;

export type FleetCertificatePart = 'cert' | 'key';

export function fleetCertificateKey(prefix: string, name: string, part: FleetCertificatePart): string {
  return `${prefix}${name}/${part}`;
}

/** `<prefix>/certificates/<name>/cert` → its name and part; undefined for any other key. */
export function parseFleetCertificateKey(
  prefix: string,
  key: string,
): { name: string; part: FleetCertificatePart } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = /^([^/]+)\/(cert|key)$/.exec(key.slice(prefix.length));
  if (match === null || !FLEET_CERTIFICATE_NAME.test(match[1]!)) return undefined;
  return { name: match[1]!, part: match[2] as FleetCertificatePart };
}

function problem(message: string): ConfigError {
  return new ConfigError(message, undefined, 'JCT_ERR_FLEET_CERTIFICATE');
}

/** One pair checked: its facts, or the problem with the key it is about. */
export function inspectFleetCertificate(
  set: FleetCertificates,
  name: string,
): { ok: true; facts: CertificateFacts } | { ok: false; error: ConfigError } {
  const entry = set.entries[name];
  const certKey = fleetCertificateKey(set.prefix, name, 'cert');
  const keyKey = fleetCertificateKey(set.prefix, name, 'key');
  if (entry === undefined) return { ok: false, error: problem(`${certKey}: no such certificate in etcd`) };
  if (entry.cert === undefined || entry.key === undefined) {
    const missing = entry.cert === undefined ? certKey : keyKey;
    return {
      ok: false,
      error: problem(
        `${missing}: missing; a certificate's cert and key are written together (junction ctl fleet cert put)`,
      ),
    };
  }
  const checked = inspectCertificate(entry.cert, entry.key);
  if (!checked.ok) {
    return {
      ok: false,
      error: problem(`${checked.field === 'cert' ? certKey : keyKey}: ${checked.problem}`),
    };
  }
  return { ok: true, facts: checked.value };
}

/** Every pair of the set that cannot serve: a half missing, not PEM, the key not the certificate's. */
export function fleetCertificateProblems(set: FleetCertificates): ConfigError[] {
  const problems: ConfigError[] = [];
  for (const name of Object.keys(set.entries).sort()) {
    const checked = inspectFleetCertificate(set, name);
    if (!checked.ok) problems.push(checked.error);
  }
  return problems;
}

/**
 * A pair that expired is refused when it arrives (it replaces, or adds, a certificate): writing one is
 * a mistake the fleet should not spread. One that expires while it serves keeps serving: refusing
 * every later change for it would block unrelated fixes.
 */
export function expiredProblem(
  set: FleetCertificates,
  name: string,
  now: number = Date.now(),
): ConfigError | undefined {
  const checked = inspectFleetCertificate(set, name);
  if (!checked.ok) return undefined;
  const notAfter = Date.parse(checked.facts.notAfter);
  if (notAfter >= now) return undefined;
  return problem(
    `${fleetCertificateKey(set.prefix, name, 'cert')}: the certificate expired on ${checked.facts.notAfter}; put a renewed one`,
  );
}

/**
 * A listener's `{ fleet: <name> }` entry → the PEM text to serve. `set` undefined: the file is being
 * read alone (before the fleet is known, or by `junction check`): the reference is kept unresolved,
 * and the merged load resolves it. Problems are the etcd key's.
 */
export function resolveFleetCertificate(
  set: FleetCertificates | undefined,
  name: string,
):
  | { ok: true; cert: string; key: string; facts: CertificateFacts | undefined }
  | { ok: false; problem: string } {
  if (!FLEET_CERTIFICATE_NAME.test(name)) {
    return {
      ok: false,
      problem: `a fleet certificate's name is letters, digits, '.', '_', '-' and '*', got '${name}'`,
    };
  }
  if (set === undefined) return { ok: true, cert: '', key: '', facts: undefined };
  const checked = inspectFleetCertificate(set, name);
  if (!checked.ok) return { ok: false, problem: checked.error.problem };
  const entry = set.entries[name]!;
  return {
    ok: true,
    cert: entry.cert!,
    key: entry.key!,
    facts: checked.facts,
  };
}
