// @ts-check
/**
 * An example plugin: stamps every transaction with a request id, and every response with where and
 * how long.
 *
 *   plugins:
 *     - ./plugins/stamp-headers.js             # the defaults below
 *     - module: ./plugins/stamp-headers.js     # or with a config, every key optional
 *       config:
 *         request_id_header: X-Request-Id     # set on the upstream request and echoed on the response
 *         served_by_header: X-Served-By       # the upstream (host:port) that answered
 *         timing_metric: proxy                # Server-Timing: proxy;dur=<ms since the request arrived>
 *
 * An incoming request id is kept when it is 1 to 128 visible ASCII characters; otherwise (or when
 * there is none) a random UUID replaces it. Responses Junction makes itself (a 404, a 401 from
 * another plugin) get the request id and Server-Timing too, but no served-by header: no upstream
 * answered them.
 *
 * Junction has request IDs of its own (`request_id`, `trust_request_id`): this plugin shows how a
 * plugin keeps state across hooks and stamps responses, and runs after them, so with the default
 * header name it sees the ID Junction assigned (a client's ID only where the listener trusts it).
 */
import { randomUUID } from 'node:crypto';

/**
 * @typedef {{
 *   readonly requestIdHeader: string,
 *   readonly servedByHeader: string,
 *   readonly timingMetric: string,
 * }} Config
 */

/** Where the transaction's id is kept between hooks; `vars` is shared, so the key names the plugin. */
const ID_VAR = 'stamp-headers.request-id';

/** An HTTP token: what header names and Server-Timing metric names are made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const USABLE_ID = /^[\x21-\x7e]{1,128}$/;
const FRAMING = ['content-length', 'transfer-encoding'];

/**
 * @param {Record<string, unknown>} config
 * @param {string} key
 * @param {string} fallback
 * @param {boolean} isHeader
 */
function token(config, key, fallback, isHeader) {
  const value = config[key] ?? fallback;
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new Error(
      `${key} must be ${isHeader ? 'a header name' : 'a metric name'} (letters, digits, -), got ${JSON.stringify(value)}`,
    );
  }
  if (isHeader && FRAMING.includes(value.toLowerCase())) {
    throw new Error(`${key} cannot be ${value}: Junction frames messages itself`);
  }
  return value;
}

/** @type {import('junction-proxy').PluginDefinition<Config>} */
const stampHeaders = {
  name: 'stamp-headers',

  parseConfig(raw) {
    if (raw === undefined || raw === null) raw = {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`config must be a mapping, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`);
    }
    const config = /** @type {Record<string, unknown>} */ (raw);
    const known = ['request_id_header', 'served_by_header', 'timing_metric'];
    for (const key of Object.keys(config)) {
      if (!known.includes(key)) throw new Error(`unknown key '${key}' (known: ${known.join(', ')})`);
    }
    return {
      requestIdHeader: token(config, 'request_id_header', 'X-Request-Id', true),
      servedByHeader: token(config, 'served_by_header', 'X-Served-By', true),
      timingMetric: token(config, 'timing_metric', 'proxy', false),
    };
  },

  setup(api) {
    const { requestIdHeader, servedByHeader, timingMetric } = api.config;

    /**
     * The transaction's id: the one already chosen, else the client's, else a new one.
     * @param {import('junction-proxy').TxnContext} txn
     */
    const requestId = (txn) => {
      const chosen = txn.vars.get(ID_VAR);
      if (typeof chosen === 'string') return chosen;
      const incoming = txn.request.headers.get(requestIdHeader);
      const id = incoming !== undefined && USABLE_ID.test(incoming) ? incoming : randomUUID();
      txn.vars.set(ID_VAR, id);
      return id;
    };

    // Before the request is forwarded: the upstream sees the id (global plugins can do it before
    // routing, so routing and later hooks see it too; a route plugin's hooks start at remap).
    api.hook(api.route === undefined ? 'read-request' : 'remap', (txn) => {
      txn.request.headers.set(requestIdHeader, requestId(txn));
    });

    // The response head, just before it is written to the client.
    api.hook('send-response', (txn) => {
      const response = txn.response;
      if (response === undefined) return;
      response.headers.set(requestIdHeader, requestId(txn));
      // Appended: the upstream may have sent Server-Timing metrics of its own.
      response.headers.append('Server-Timing', `${timingMetric};dur=${txn.elapsedMs.toFixed(1)}`);
      if (txn.upstream !== undefined) response.headers.set(servedByHeader, txn.upstream);
    });
  },
};

export default stampHeaders;
