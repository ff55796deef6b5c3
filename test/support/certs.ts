import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway certificate authority: trust `cert` in a client, serve what `issue()` makes. */
export interface TestCa extends KeyPair {
  /**
   * A leaf certificate for these DNS names, valid for 127.0.0.1 too (an IP SAN), usable for TLS
   * servers and clients alike.
   */
  issue(names: readonly string[], options?: CertificateOptions): KeyPair;
  /** Removes the working directory. */
  close(): void;
}

/** A certificate's whole subject, as openssl's -subj writes it (`/CN=x/O=Org/C=S3`); default: `/CN=<name>`. */
export interface CertificateOptions {
  readonly subject?: string;
}

/**
 * Makes a CA with the openssl CLI in a temporary directory. EC P-256 keys keep it to a few
 * milliseconds per certificate; make one per test file and close it after.
 */
export function createTestCa(commonName = 'Junction Test CA', options: CertificateOptions = {}): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'junction-certs-'));
  const path = (name: string): string => join(dir, name);
  openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    options.subject ?? `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    cert: readFileSync(path('ca.pem'), 'utf8'),
    key: readFileSync(path('ca.key'), 'utf8'),
    issue(names, issueOptions = {}) {
      const leaf = `leaf-${++serial}`;
      const altNames = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
      writeFileSync(
        path(`${leaf}.ext`),
        [
          `subjectAltName=${altNames}`,
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth,clientAuth',
        ].join('\n'),
      );
      openssl([
        'req',
        ...EC_KEY,
        '-keyout',
        path(`${leaf}.key`),
        '-out',
        path(`${leaf}.csr`),
        '-subj',
        issueOptions.subject ?? `/CN=${names[0] ?? '127.0.0.1'}`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        path(`${leaf}.csr`),
        '-CA',
        path('ca.pem'),
        '-CAkey',
        path('ca.key'),
        '-set_serial',
        String(serial + 1000),
        '-days',
        '2',
        '-extfile',
        path(`${leaf}.ext`),
        '-out',
        path(`${leaf}.pem`),
      ]);
      return {
        cert: readFileSync(path(`${leaf}.pem`), 'utf8'),
        key: readFileSync(path(`${leaf}.key`), 'utf8'),
      };
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}
