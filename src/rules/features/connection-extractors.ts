/**
 * TxnBox's extractors of the transaction's settings and connections: `txn-conf<…>` (the Traffic
 * Server settings ../txn-conf.ts maps), `remap-target-*` (the route as a URL: what it matched),
 * `outbound-addr-local` (the upstream connection's local address), and the certificates of both
 * connections (`inbound-cert-*`: the listener's and the client's; `outbound-cert-*`: the upstream's and
 * the one Junction presented to it). They register into the shared
 * registry (extractor-kit.ts) when this module loads.
 */
import type { TxnCertificate } from '../../hooks/index.ts';
import { VERIFY_RESULT_NOT_TLS, x509ErrorNumber } from '../../tls/index.ts';
import { TXN_CONF, txnConfRefusal } from '../txn-conf.ts';
import type { CompileEnv, Feature, FeatureType, RouteTarget, RuleContext } from '../types.ts';
import { addressReader, define, from, TXN_ONLY, type Hook } from './extractor-kit.ts';

// txn-conf<setting>: the transaction's value of a Traffic Server setting Junction maps.
define('txn-conf', {
  hooks: TXN_ONLY,
  type: 'any',
  arg: 'required',
  argName: 'a Traffic Server setting Junction maps',
  compile(arg: string | undefined, env: CompileEnv) {
    const name = (arg ?? '').trim();
    const entry = TXN_CONF.get(name);
    if (entry === undefined) env.fail(txnConfRefusal(name));
    switch (entry.kind) {
      case 'timeout': {
        const key = entry.key;
        return (ctx) => Math.round(ctx.txn.timeouts[key] / 1000);
      }
      case 'via':
        return (ctx) => ctx.via ?? 0;
      case 'fixed': {
        const value = entry.value;
        return () => value;
      }
      case 'max-connections': {
        // The transaction's own, else its cluster's pool.max_total (before one is chosen: the one every
        // cluster shares); null when not known yet.
        const facts = env.configFacts;
        return (ctx) =>
          ctx.txn.upstreamSettings?.maxConnections ?? facts?.poolMaxTotal(ctx.txn.cluster) ?? null;
      }
      case 'sni-policy':
        return (ctx) => sniPolicyText(ctx);
      case 'client-cert':
        // '' once set to present none; otherwise the cluster's (null: not a per-transaction value).
        return (ctx) => (ctx.txn.upstreamSettings?.clientCertificate === false ? '' : null);
      case 'fill-threshold': {
        // The config's: Traffic Server prints the float setting with two decimals (0.50).
        const text = (env.configFacts?.backgroundFillThreshold() ?? 0.5).toFixed(2);
        return () => text;
      }
      case 'cache-http':
        return (ctx) => (ctx.txn.cache?.enabled === true ? 1 : 0);
    }
  },
});

function sniPolicyText(ctx: RuleContext): string {
  const policy = ctx.sniPolicy;
  if (policy === undefined) return 'remap'; // the cluster's name: Traffic Server's remap
  switch (policy.from) {
    case 'literal':
      return `@${policy.name}`;
    case 'host':
      return 'host';
    case 'server-name':
      return 'server_name';
    case 'cluster':
      return 'remap';
  }
}

// remap-target-*: the route chosen, as TxnBox's remap target URL (the URL its rule matches): the
// request's scheme, the route's one literal host (null when it matches a list or a wildcard) and port
// (the scheme's), and its path prefix without the leading `/`. Known from remap on.
const REMAP_HOOKS = from('remap');
function remapTarget(
  name: string,
  type: FeatureType,
  read: (target: RouteTarget, scheme: string) => Feature,
): void {
  define(`remap-target-${name}`, {
    hooks: REMAP_HOOKS,
    type,
    compile(_arg: string | undefined, env: CompileEnv) {
      const facts = env.configFacts;
      return (ctx) => {
        const route = ctx.txn.route;
        const target = route === undefined ? undefined : facts?.routeTarget(route);
        return target === undefined ? null : read(target, ctx.session.scheme);
      };
    },
  });
}
const portOf = (scheme: string): number => (scheme === 'https' ? 443 : 80);
remapTarget('scheme', 'string', (_target, scheme) => scheme);
remapTarget('host', 'string', (target) => target.host ?? null);
remapTarget('port', 'integer', (_target, scheme) => portOf(scheme));
remapTarget('loc', 'string', (target) => target.host ?? null);
remapTarget('path', 'string', (target) => target.path);
remapTarget('url', 'string', (target, scheme) =>
  target.host === undefined ? null : `${scheme}://${target.host}/${target.path}`,
);

// outbound-addr-local: the local address of the connection to the upstream, once there is one.
define('outbound-addr-local', {
  hooks: from('send-request'),
  type: 'ip',
  compile() {
    const read = addressReader();
    return (ctx) => {
      const local = ctx.txn.upstreamLocalAddress;
      return local === undefined || local === '' ? null : read(local);
    };
  },
});

/** X.509 attribute long names TxnBox accepts beside the short ones (case matters, as in TxnBox). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  commonName: 'CN',
  organizationName: 'O',
  organizationalUnitName: 'OU',
  countryName: 'C',
  stateOrProvinceName: 'ST',
  localityName: 'L',
};

type Names = TxnCertificate | undefined;

/** `<prefix>-{issuer,subject}-field<name>`: an entry of the certificate `read` gives; '' without one. */
function certificateField(prefix: string, hooks: ReadonlySet<Hook>, read: (ctx: RuleContext) => Names): void {
  for (const part of ['issuer', 'subject'] as const) {
    const name = `${prefix}-${part}-field`;
    define(name, {
      hooks,
      type: 'string',
      arg: 'required',
      argName: 'entry name (CN, O, commonName…)',
      compile(arg: string | undefined, env: CompileEnv) {
        const entry = (arg ?? '').trim();
        if (entry === '') env.fail(`${name} needs an entry name: ${name}<CN>`);
        const key = SHORT_NAMES[entry] ?? entry;
        return (ctx) => {
          const value = read(ctx)?.[part]?.[key];
          return value === undefined ? '' : typeof value === 'string' ? value : value.join(', ');
        };
      },
    });
  }
}

// outbound-cert-{local,remote}-{issuer,subject}-field<name>: an entry of a certificate of the TLS
// connection to the upstream (remote: the backend's; local: the client certificate Junction presented),
// from proxy-req on; '' without TLS, without that certificate, or without the entry (TxnBox's).
for (const side of ['local', 'remote'] as const) {
  certificateField(`outbound-cert-${side}`, from('send-request'), (ctx) =>
    ctx.txn.upstreamCertificate?.(side),
  );
}

// inbound-cert-local-*: the certificate the listener served the client's connection; '' without TLS.
certificateField('inbound-cert-local', TXN_ONLY, (ctx) => ctx.session.localCertificate);

// inbound-cert-remote-*: the client's certificate (listeners with client_certificates), only once it
// verified, as TxnBox gives it: '' when none was sent or it did not verify (optional_no_ca), so rules
// that authorise on its subject cannot be fed a certificate anyone could make.
certificateField('inbound-cert-remote', TXN_ONLY, (ctx) => {
  const certificate = ctx.session.clientCertificate;
  return certificate?.verified === true ? certificate : undefined;
});

// inbound-cert-verify-result: OpenSSL's verify result for the client's certificate, as TxnBox gives
// it: 0 (X509_V_OK) when it verified or none was sent, an X509_V_ERR_* number when it did not verify
// (optional_no_ca), 69 (X509_V_ERR_INVALID_CALL) on a connection without TLS.
define('inbound-cert-verify-result', {
  hooks: TXN_ONLY,
  type: 'integer',
  compile() {
    return (ctx) => {
      if (ctx.session.scheme !== 'https') return VERIFY_RESULT_NOT_TLS;
      const certificate = ctx.session.clientCertificate;
      return certificate === undefined || certificate.verified ? 0 : x509ErrorNumber(certificate.verifyError);
    };
  },
});
