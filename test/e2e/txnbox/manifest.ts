/**
 * TxnBox's gold tests (test/autest/gold_tests/** of SolidWallOfCode/txn_box, Apache-2.0), one entry
 * per `*.test.py`, written down from its `TxnBoxTestAndRun(...)` call: the replay file, the global
 * config's `--key`, and the remap lines (`map FROM TO @pparam=--key=K @pparam=FILE`). Paths are
 * relative to gold/.
 */

/** One remap line: FROM, TO (FROM when absent), and the remap's TxnBox configs (file, --key). */
export interface Remap {
  readonly from: string;
  readonly to?: string;
  readonly configs?: readonly (readonly [file: string, key?: string])[];
}

export interface GoldTest {
  readonly name: string;
  readonly replay: string;
  /** The global config: file and --key. */
  readonly global?: readonly [file: string, key: string];
  /** Remap lines; none: `map / <backend>`, as the gold tests' harness does. */
  readonly remaps?: readonly Remap[];
  /** Why the test is not run (its cases count as failing). */
  readonly skip?: string;
  /**
   * The test's `records_config.update(...)`: Traffic Server settings, given to Junction as the settings
   * they map to (see RECORDS in ../txnbox-compat.test.ts); the others have no Junction equivalent.
   */
  readonly records?: Readonly<Record<string, number>>;
  /** The test relies on Traffic Server's cache (on by default there): its routes get `cache: true`. */
  readonly cache?: boolean;
  /**
   * The remap targets are https://: the backend speaks TLS with Proxy Verifier's server certificate
   * (CN `server_cn`), and the cluster presents this client certificate to it (records.config
   * `ssl.client.cert.filename`; `ssl.client.verify.server.policy: DISABLED`, so verify: false).
   */
  readonly upstreamTls?: { readonly clientCertificate: Identity };
  /**
   * `ssl.client.certification_level: 2`: the HTTPS listener requires a client certificate that
   * chains to the bundle of the alpha, bravo and charlie CAs (ca-bundle.pem).
   */
  readonly clientCertificates?: 'required';
  /**
   * The test's `TxnBoxRun`s: each replays its file with its client certificate, and the backend
   * answers by URL from `replay` (the verifier server's `--format "{url}"`). The cases are the runs'
   * transactions, in order.
   */
  readonly runs?: readonly { readonly replay: string; readonly clientCertificate: Identity }[];
}

/**
 * TxnBox's test keys (test/autest/ssl/gen_client_certs.sh): a CA and a certificate it signed per
 * name, with the distinguished names its openssl.cnf writes; the suite makes equivalents.
 */
export type Identity = 'alpha' | 'bravo' | 'charlie';

/** The records.config of the txn_open tests (and basic's per-server limit and fill threshold). */
const TXN_OPEN_RECORDS = {
  'proxy.config.http.transaction_no_activity_timeout_out': 120,
  'proxy.config.http.per_server.connection.max': 500,
  'proxy.config.http.background_fill_completed_threshold': 0.4,
};

const at = (file: string, key: string): readonly [string, string] => [file, key];

export const GOLD_TESTS: readonly GoldTest[] = [
  {
    name: 'basic/basic',
    replay: 'basic/basic.replay.yaml',
    global: at('basic/basic.replay.yaml', 'meta.txn_box.global'),
    remaps: [
      {
        from: 'http://remap.ex',
        to: 'http://remapped.ex',
        configs: [at('basic/basic.replay.yaml', 'meta.txn_box.remap-1')],
      },
      { from: 'http://one.ex/path/', to: 'http://two.ex/path/' },
      { from: 'http://one.ex' },
    ],
    records: {
      'proxy.config.http.per_server.connection.max': 500,
      'proxy.config.http.background_fill_completed_threshold': 0.4,
    },
  },
  {
    name: 'basic/cmp',
    replay: 'basic/cmp.replay.yaml',
    global: at('basic/cmp.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/ip-addr',
    replay: 'basic/ip-addr.replay.yaml',
    global: at('basic/ip-addr.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/mod',
    replay: 'basic/mod.replay.yaml',
    remaps: ['alpha', 'bravo', 'charlie'].map((name) => ({
      from: `http://${name}.ex`,
      configs: [at('basic/mod.replay.yaml', `meta.txn-box.${name}`)],
    })),
  },
  {
    name: 'basic/multi-cfg',
    replay: 'basic/multi-cfg.replay.yaml',
    remaps: [
      { from: 'http://one.ex', configs: [['basic/multi-cfg.1.yaml']] },
      { from: 'http://two.ex', configs: [['basic/multi-cfg.2.yaml']] },
      { from: 'http://both.ex', configs: [['basic/multi-cfg.1.yaml'], ['basic/multi-cfg.2.yaml']] },
    ],
  },
  {
    name: 'basic/redirect',
    replay: 'basic/redirect.replay.yaml',
    remaps: [
      { from: 'http://base.ex/', configs: [at('basic/redirect.replay.yaml', 'meta.txn_box.remap')] },
      { from: 'http://unmatched.ex/' },
      { from: 'http://encode.ex/', configs: [at('basic/redirect.replay.yaml', 'meta.txn_box.remap-encode')] },
      { from: 'http://decode.ex/', configs: [at('basic/redirect.replay.yaml', 'meta.txn_box.remap-decode')] },
    ],
  },
  {
    name: 'basic/reply',
    replay: 'basic/reply.replay.yaml',
    global: at('basic/reply.replay.yaml', 'meta.txn-box.global'),
    remaps: [
      { from: 'http://base.ex/', configs: [at('basic/reply.replay.yaml', 'meta.txn-box.remap')] },
      { from: 'http://unmatched.ex/' },
    ],
  },
  {
    name: 'basic/rxp',
    replay: 'basic/rxp.replay.yaml',
    global: at('basic/rxp.replay.yaml', 'meta.txn_box.global'),
    remaps: [
      {
        from: 'http://app.ex',
        to: 'http://app.ex',
        configs: [at('basic/rxp.replay.yaml', 'meta.txn_box.remap')],
      },
      { from: 'http://one.ex/path/', to: 'http://two.ex/path/' },
      { from: 'http://one.ex' },
    ],
  },
  {
    name: 'basic/stat',
    replay: 'basic/stat.replay.yaml',
    global: at('basic/stat.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/tls-cert',
    replay: 'basic/tls-cert.replay.yaml',
    global: at('basic/tls-cert.replay.yaml', 'meta.txn_box.global'),
    remaps: [
      { from: 'https://alpha.ex/', to: 'https://alpha.ex/' },
      { from: 'http://alpha.ex/', to: 'https://alpha.ex/' },
      { from: 'http://charlie.ex/', to: 'https://charlie.ex/' },
    ],
    upstreamTls: { clientCertificate: 'bravo' },
  },
  {
    name: 'basic/tls',
    replay: 'basic/tls.replay.yaml',
    remaps: [
      { from: 'http://base.ex/', configs: [at('basic/tls.replay.yaml', 'meta.txn_box.remap')] },
      { from: 'https://base.ex/', configs: [at('basic/tls.replay.yaml', 'meta.txn_box.remap')] },
    ],
  },
  {
    name: 'basic/tuple',
    replay: 'basic/tuple.replay.yaml',
    global: at('basic/tuple.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/txn-debug',
    replay: 'basic/txn-debug.replay.yaml',
    global: at('basic/txn-debug.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/txn-error',
    replay: 'basic/txn-error.replay.yaml',
    global: at('basic/txn-error.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/txn_open_1',
    replay: 'basic/txn_open_1.replay.yaml',
    records: TXN_OPEN_RECORDS,
    global: at('basic/txn_open_1.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/txn_open_2',
    replay: 'basic/txn_open_2.replay.yaml',
    records: TXN_OPEN_RECORDS,
    global: at('basic/txn_open_2.replay.yaml', 'meta.txn_box.global'),
    remaps: [{ from: 'http://one.ex' }],
  },
  {
    name: 'basic/txn_open_3',
    replay: 'basic/txn_open_3.replay.yaml',
    records: TXN_OPEN_RECORDS,
    global: at('basic/txn_open_3.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'basic/with',
    replay: 'basic/with.replay.yaml',
    global: at('basic/with.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'ct_header/ct_header',
    replay: 'ct_header/ct_header.replay.yaml',
    global: at('ct_header/ct_header.replay.yaml', 'meta.txn_box'),
    remaps: [
      { from: 'http://base.ex/' },
      { from: 'http://s.protected.ex/' },
      { from: 'https://base.ex/' },
      { from: 'https://u.protected.ex/' },
      { from: 'https://s.protected.ex/' },
      { from: 'https://protected.ex/' },
    ],
  },
  {
    name: 'example/accept-encoding',
    replay: 'example/accept-encoding.replay.yaml',
    global: at('example/accept-encoding.replay.yaml', 'meta.txn_box.global'),
  },
  {
    name: 'prod/cors-origin',
    replay: 'prod/cors-origin.replay.yaml',
    global: at('prod/cors-origin.replay.yaml', 'meta.txn-box.global'),
  },
  {
    name: 'prod/cors-referrer',
    replay: 'prod/cors-referrer.replay.yaml',
    global: at('prod/cors-referrer.replay.yaml', 'meta.txn-box.global'),
  },
  {
    name: 'prod/ip-acl',
    replay: 'prod/ip-acl.replay.yaml',
    global: at('prod/ip-acl.replay.yaml', 'meta.txn-box.global'),
    remaps: [
      { from: 'http://base.ex/' },
      {
        from: 'http://docjj.ex/',
        to: 'http://docjj.ex',
        configs: [at('prod/ip-acl.replay.yaml', 'meta.txn-box.remap')],
      },
    ],
  },
  {
    name: 'prod/mTLS',
    replay: 'prod/mTLS.replay.yaml',
    global: ['prod/mTLS.txnbox.yaml', 'txn_box'],
    remaps: [{ from: 'https://base.ex/', to: 'http://base.ex/' }],
    clientCertificates: 'required',
    runs: [
      { replay: 'prod/mTLS-alpha.replay.yaml', clientCertificate: 'alpha' },
      { replay: 'prod/mTLS-bravo.replay.yaml', clientCertificate: 'bravo' },
    ],
  },
  {
    name: 'prod/query-delete-filter',
    replay: 'prod/query-delete.replay.yaml',
    global: at('prod/query-delete.replay.yaml', 'meta.txn-box.bravo'),
  },
  {
    name: 'prod/query-delete-regex',
    replay: 'prod/query-delete.replay.yaml',
    global: at('prod/query-delete.replay.yaml', 'meta.txn-box.alpha'),
  },
  {
    name: 'prod/query',
    replay: 'prod/query.replay.yaml',
    remaps: [
      ...['one', 'two', 'three'].map((name) => ({
        from: `http://${name}.ex`,
        configs: [at('prod/query.replay.yaml', `meta.txn-box.remap.${name}`)],
      })),
      { from: 'http://unmatched.ex/' },
    ],
  },
  {
    name: 'prod/stanley',
    replay: 'prod/stanley.replay.yaml',
    remaps: ['http://nowhere.com', 'http://calendar.yahoo.com/', '/'].map((from) => ({
      from,
      to: 'http://0.0.0.0/health',
      configs: [at('prod/stanley.replay.yaml', 'meta.txn-box.remap')],
    })),
  },
  {
    name: 'prod/vznith-1',
    replay: 'prod/vznith-1.replay.yaml',
    remaps: [
      { from: 'http://base.ex/edge/file', configs: [at('prod/vznith-1.replay.yaml', 'meta.txn-box.remap')] },
      { from: 'http://unmatched.ex/' },
    ],
  },
  {
    name: 'prod/yts-3489',
    replay: 'prod/yts-3489.replay.yaml',
    remaps: [
      { from: 'http://base.ex/', configs: [at('prod/yts-3489.replay.yaml', 'meta.txn-box.remap')] },
      { from: 'http://alt.ex/', configs: [at('prod/yts-3489.replay.yaml', 'meta.txn-box.remap-alt')] },
      { from: 'http://join.ex/', configs: [at('prod/yts-3489.replay.yaml', 'meta.txn-box.remap-join')] },
      { from: 'http://concat.ex/', configs: [at('prod/yts-3489.replay.yaml', 'meta.txn-box.remap-concat')] },
      { from: 'http://unmatched.ex/' },
    ],
  },
  {
    name: 'ramp/ramp',
    replay: 'ramp/ramp.replay.yaml',
    remaps: [
      {
        from: 'http://one.ex',
        to: 'http://three.ex',
        configs: [at('ramp/ramp.replay.yaml', 'meta.txn_box.remap')],
      },
    ],
  },
  ...[1, 2, 3].map((n): GoldTest => ({
    name: `ramp/multi-ramp-${n}`,
    replay: 'ramp/multi-ramp.replay.yaml',
    remaps: [
      { from: 'http://base.ex/', configs: [[`ramp/multi-ramp-${n}.cfg.yaml`]] },
      { from: 'https://base.ex/', configs: [[`ramp/multi-ramp-${n}.cfg.yaml`]] },
    ],
  })),
  {
    name: 'remap/remap-base',
    replay: 'remap/remap-base.replay.yaml',
    remaps: [
      ...[1, 2, 3, 4, 5].map((n) => ({
        from: `http://${n}.remap.ex/path`,
        to: `http://${n}.remapped.ex`,
        configs: [at('remap/remap-base.replay.yaml', `meta.txn_box.remap-${n}`)],
      })),
      { from: 'http://base.ex' },
    ],
  },
  {
    name: 'smoke/smoke',
    replay: 'smoke/smoke.replay.yaml',
    global: at('smoke/smoke.replay.yaml', 'meta.txn_box.global'),
    remaps: [
      {
        from: 'http://example.one/3',
        to: 'http://example.one/3',
        configs: [at('smoke/smoke.replay.yaml', 'meta.txn_box.remap-1')],
      },
      { from: 'http://example.one', to: 'http://example.one' },
    ],
  },
  {
    name: 'smoke/smoke-2',
    replay: 'smoke/smoke-2.replay.yaml',
    global: at('smoke/smoke-2.replay.yaml', 'meta.txn_box.global'),
    remaps: [
      { from: 'http://alpha.ex/', configs: [at('smoke/smoke-2.replay.yaml', 'meta.txn_box.remap.alpha')] },
      { from: 'http://bravo.ex/', configs: [at('smoke/smoke-2.replay.yaml', 'meta.txn_box.remap.bravo')] },
    ],
  },
  {
    name: 'static_file/static_file',
    replay: 'static_file/static_file.replay.yaml',
    cache: true,
    global: at('static_file/static_file.replay.yaml', 'meta.txn-box.global'),
    remaps: [
      { from: 'http://base.ex', configs: [at('static_file/static_file.replay.yaml', 'meta.txn-box.remap')] },
    ],
  },
];

/**
 * The cases Junction does not pass, by `test #index` (the transaction's place in its replay), and why.
 * The suite fails when a case fails that is not listed here (a regression) and when a listed case
 * passes (remove it, so that it stays passing).
 */
export const EXPECTED_FAILURES: ReadonlyMap<string, string> = new Map([
  [
    'remap/remap-base #1',
    "ua-req-scheme https: the cluster speaks http, so Junction answers 502 (the scheme towards the upstream is the cluster's)",
  ],
  [
    'remap/remap-base #2',
    "ua-req-scheme https: the cluster speaks http, so Junction answers 502 (the scheme towards the upstream is the cluster's)",
  ],
  ...['#3', '#4', '#7', '#8'].map((n): [string, string] => [
    `remap/remap-base ${n}`,
    "checks that Traffic Server wrote the URL's port into Host (its rewrite); Junction forwards the Host as the rules set it",
  ]),
  ...['#5', '#6'].map((n): [string, string] => [
    `remap/remap-base ${n}`,
    'ua-req-url-host sets the URL apart from Host in Traffic Server; Junction keeps URL and Host in step (it sets both)',
  ]),
  [
    'basic/ip-addr #0',
    "checks that the Via field names Traffic Server (traffic_server); Junction's Via names Junction (its outbound-addr-local and -remote pass)",
  ],
  [
    'static_file/static_file #11',
    "a cached response: transaction 3's upstream-rsp rules make the 404 a fresh 200 (stored as such now) but also replace its body (upstream-rsp-body), and Junction does not store a body a read-response transform changes (it stores the backend's bytes as they stream), so the later request is a miss; the case also expects no Cache-Status, which Junction adds to every response on a caching route (RFC 9211)",
  ],
]);
