/**
 * The schema of HTTPS listeners (`listeners[].tls`), redirects to HTTPS (`listeners[].redirect_to_https`)
 * and HSTS (`routes[].hsts`). Certificates are read and checked here, key against certificate, so a
 * wrong file is reported at its line and column instead of when the listener starts.
 */
import * as z from 'zod';
import {
  cipherListProblem,
  inspectCaBundle,
  inspectCertificate,
  isCertificateName,
  type CertificateFacts,
} from '../tls/index.ts';
import { parseHostPattern } from './addresses.ts';
import { resolveFleetCertificate, type FleetCertificates } from './fleet-certificates.ts';
import {
  DEFAULT_HSTS_MAX_AGE_SECONDS,
  DEFAULT_TLS_MAX_VERSION,
  DEFAULT_TLS_MIN_VERSION,
  MAX_HSTS_MAX_AGE_SECONDS,
} from './defaults.ts';
import { describeValue } from './describe-value.ts';
import { binaryFile, pemFile } from './config-files.ts';
import {
  duration,
  integer,
  nonEmptyString,
  oneOrMany,
  optional,
  parsed,
  strictObject,
} from './schema-toolkit.ts';

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

function tlsVersion() {
  return z.enum(TLS_VERSIONS, {
    error: (issue) =>
      `must be TLSv1.2 or TLSv1.3 (older versions are broken and never offered), got ${describeValue(issue.input)}`,
  });
}

/** Protocols a listener can speak after the handshake: HTTP/2 (`h2`) or HTTP/1.x. */
function alpnProtocol() {
  return parsed<unknown, string>(z.unknown(), (value) =>
    value === 'h2' || value === 'http/1.1' || value === 'http/1.0'
      ? { ok: true, value }
      : {
          ok: false,
          problem:
            value === 'h2c'
              ? 'h2c is never negotiated by ALPN: offer h2 on an HTTPS listener, or set h2c: true on a plain one'
              : `must be h2, http/1.1 or http/1.0, got ${describeValue(value)}`,
        },
  );
}

/** A certificate name: `example.com` or `*.example.com` (one label), lower-cased, no port. */
function certificateName() {
  return parsed<string, string>(z.string(), (text) => {
    const result = parseHostPattern(text);
    if (!result.ok) return result;
    const match = result.value;
    const name = match.kind === 'exact' ? match.host : `*${match.suffix}`;
    if (!isCertificateName(name))
      return { ok: false, problem: `a certificate name is a DNS name, got '${text}'` };
    if (text.includes(':')) return { ok: false, problem: `a certificate name has no port, got '${text}'` };
    return { ok: true, value: name };
  });
}

function certificateEntry(baseDir: string, fleet: FleetCertificates | undefined) {
  return strictObject(
    {
      id: optional(nonEmptyString),
      cert_file: optional(pemFile(baseDir)),
      key_file: optional(pemFile(baseDir)),
      // A certificate kept in etcd by the fleet (fleet-certificates.ts), instead of the two files.
      fleet: optional(nonEmptyString),
      names: optional(oneOrMany(certificateName(), 'must be a name or a list of names')),
      ocsp_file: optional(binaryFile(baseDir)),
    },
    'must be a mapping with cert_file and key_file (or fleet: a certificate the fleet keeps)',
  ).transform((value, ctx) => {
    const pair = certificatePair(value, fleet);
    if (!pair.ok) {
      ctx.addIssue({ code: 'custom', path: [pair.field], message: pair.problem });
      return z.NEVER;
    }
    const facts = pair.facts;
    if (facts !== undefined && value.names === undefined && facts.names.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [value.fleet === undefined ? 'cert_file' : 'fleet'],
        message: 'the certificate has no DNS name (no subjectAltName DNS entry, no CN); list its names',
      });
      return z.NEVER;
    }
    // The id defaults to the fleet's name for it, else the first name, which is what people call a
    // certificate anyway.
    const id = value.id ?? value.fleet ?? value.names?.[0] ?? facts?.names[0] ?? '';
    return { ...value, cert_file: pair.cert, key_file: pair.key, id, facts };
  });
}

const CLIENT_CERTIFICATE_MODES = ['required', 'optional', 'optional_no_ca'] as const;

/**
 * `client_certificates`: mutual TLS. `verify` (default required) and `ca_file`, the CA bundle client
 * certificates must chain to (needed unless optional_no_ca); every certificate in it must be a CA's.
 */
function clientCertificates(baseDir: string) {
  return strictObject(
    {
      verify: optional(
        z.enum(CLIENT_CERTIFICATE_MODES, {
          error: (issue) => `must be required, optional or optional_no_ca, got ${describeValue(issue.input)}`,
        }),
      ),
      ca_file: optional(
        pemFile(baseDir).transform((file, ctx) => {
          const bundle = inspectCaBundle(file.pem);
          if (bundle.ok) return file;
          ctx.addIssue({ code: 'custom', message: `the CA bundle ${bundle.problem}` });
          return z.NEVER;
        }),
      ),
    },
    'must be a mapping with ca_file and verify (required, optional or optional_no_ca)',
  ).superRefine((value, ctx) => {
    if (value.ca_file === undefined && (value.verify ?? 'required') !== 'optional_no_ca') {
      ctx.addIssue({
        code: 'custom',
        path: ['ca_file'],
        message: `verify: ${value.verify ?? 'required'} checks client certificates against a CA: name its ca_file (or use verify: optional_no_ca)`,
      });
    }
  });
}

/** The PEM pair an entry names: its two files, or the fleet's certificate; checked key against cert. */
function certificatePair(
  value: {
    cert_file?: { path: string; pem: string } | undefined;
    key_file?: { path: string; pem: string } | undefined;
    fleet?: string | undefined;
  },
  fleet: FleetCertificates | undefined,
):
  | {
      ok: true;
      cert: { path: string | undefined; pem: string };
      key: { path: string | undefined; pem: string };
      facts: CertificateFacts | undefined;
    }
  | { ok: false; field: string; problem: string } {
  if (value.fleet !== undefined) {
    if (value.cert_file !== undefined || value.key_file !== undefined) {
      return {
        ok: false,
        field: 'fleet',
        problem: 'a certificate comes from the fleet or from cert_file and key_file, not both',
      };
    }
    const resolved = resolveFleetCertificate(fleet, value.fleet);
    if (!resolved.ok) return { ok: false, field: 'fleet', problem: resolved.problem };
    return {
      ok: true,
      // No file: the bytes are the fleet's (the etcd keys are in problems, not in the served config).
      cert: { path: undefined, pem: resolved.cert },
      key: { path: undefined, pem: resolved.key },
      facts: resolved.facts,
    };
  }
  if (value.cert_file === undefined || value.key_file === undefined) {
    return {
      ok: false,
      field: value.cert_file === undefined ? 'cert_file' : 'key_file',
      problem: 'a certificate needs cert_file and key_file (or fleet: a certificate the fleet keeps)',
    };
  }
  const checked = inspectCertificate(value.cert_file.pem, value.key_file.pem);
  if (!checked.ok) {
    return {
      ok: false,
      field: checked.field === 'cert' ? 'cert_file' : 'key_file',
      problem: checked.problem,
    };
  }
  return { ok: true, cert: value.cert_file, key: value.key_file, facts: checked.value };
}

export function listenerTls(baseDir: string, fleet?: FleetCertificates) {
  return strictObject(
    {
      certificates: z
        .array(certificateEntry(baseDir, fleet), {
          error: (issue) => `must be a list of certificates, got ${describeValue(issue.input)}`,
        })
        .min(1, 'an HTTPS listener needs at least one certificate'),
      default_certificate: optional(nonEmptyString),
      min_version: optional(tlsVersion()),
      max_version: optional(tlsVersion()),
      ciphers: optional(
        parsed<string, string>(nonEmptyString, (ciphers) => {
          const problem = cipherListProblem(ciphers);
          return problem === undefined ? { ok: true, value: ciphers } : { ok: false, problem };
        }),
      ),
      alpn: optional(
        z.array(alpnProtocol(), {
          error: (issue) => `must be a list of protocols, got ${describeValue(issue.input)}`,
        }),
      ),
      strict_sni_binding: optional(z.boolean()),
      handshake_timeout: optional(duration(1)),
      client_certificates: optional(clientCertificates(baseDir)),
    },
    'must be a mapping with at least certificates',
  ).superRefine((value, ctx) => {
    const ids = new Map<string, number>();
    value.certificates.forEach((certificate, index) => {
      const first = ids.get(certificate.id);
      if (first === undefined) {
        ids.set(certificate.id, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: ['certificates', index],
        message: `certificate id '${certificate.id}' is already used by certificates[${first}]; give them ids`,
      });
    });
    const wanted = value.default_certificate;
    if (wanted !== undefined && !ids.has(wanted)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_certificate'],
        message: `no certificate has the id '${wanted}' (ids: ${[...ids.keys()].join(', ')})`,
      });
    }
    const min = value.min_version ?? DEFAULT_TLS_MIN_VERSION;
    const max = value.max_version ?? DEFAULT_TLS_MAX_VERSION;
    if (TLS_VERSIONS.indexOf(min) > TLS_VERSIONS.indexOf(max)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.min_version === undefined ? 'max_version' : 'min_version'],
        message: `min_version (${min}) must not be above max_version (${max})`,
      });
    }
  });
}

/** `redirect_to_https: true`, or a mapping with the HTTPS port and the status. */
export function httpsRedirect() {
  return z.preprocess(
    (value) => (value === true ? {} : value),
    strictObject(
      {
        port: optional(integer(1, 65535)),
        status: optional(
          z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)], {
            error: (issue) => `must be 301, 302, 307 or 308, got ${describeValue(issue.input)}`,
          }),
        ),
      },
      'must be true, or a mapping with port and status',
    ),
  );
}

/** `hsts: true` (one year), or a mapping with max_age (seconds), include_subdomains and preload. */
export function hsts() {
  return z.preprocess(
    (value) => (value === true ? {} : value),
    strictObject(
      {
        max_age: optional(integer(0, MAX_HSTS_MAX_AGE_SECONDS)),
        include_subdomains: optional(z.boolean()),
        preload: optional(z.boolean()),
      },
      'must be true, or a mapping with max_age, include_subdomains and preload',
    ).superRefine((value, ctx) => {
      // The preload list (hstspreload.org) refuses anything less; asking for it without them is a mistake.
      if (value.preload !== true) return;
      if ((value.max_age ?? DEFAULT_HSTS_MAX_AGE_SECONDS) < DEFAULT_HSTS_MAX_AGE_SECONDS) {
        ctx.addIssue({
          code: 'custom',
          path: ['max_age'],
          message: 'preload needs a max_age of at least a year',
        });
      }
      if (value.include_subdomains !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['preload'],
          message: 'preload needs include_subdomains: true',
        });
      }
    }),
  );
}

/** A route's `match.sni`: server names as a route's hosts are written. */
export function sniMatch() {
  return oneOrMany(parsed(z.string(), parseHostPattern), 'must be a server name or a list of them');
}
