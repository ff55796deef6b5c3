// @ts-check
/**
 * An example plugin: only requests that carry a known bearer token get through.
 *
 *   plugins:
 *     - module: ./plugins/require-token.js   # relative to the config file
 *       config:
 *         tokens: [s3cret-one, s3cret-two]    # required: the tokens that are let through
 *         realm: admin                        # optional, default "junction"
 *         strip: true                         # optional, default true: do not forward the token
 *
 * Listed at the top level it checks every request, in read-request (before routing). Listed under a
 * route it checks that route's requests only, in remap: a route plugin's hooks run from remap on.
 *
 * A request without `Authorization: Bearer <token>`, or with a token not in the list, is answered
 * 401 with `WWW-Authenticate: Bearer realm="<realm>"` (plus `error="invalid_token"` when a bearer
 * token was given but is wrong); the upstream is never asked. A request that passes goes on without its
 * Authorization header unless `strip` is false, so the token never reaches the backends.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** @typedef {{ readonly tokens: readonly string[], readonly realm: string, readonly strip: boolean }} Config */

const KNOWN_KEYS = ['tokens', 'realm', 'strip'];

/** A token as RFC 6750 writes it (b64token), so a token from the config can be sent at all. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** @param {unknown} value */
function describe(value) {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'string' ? `'${value}'` : typeof value === 'object' ? 'a mapping' : String(value);
}

/**
 * Tokens are compared through their SHA-256 digests with timingSafeEqual, so how long a check takes
 * says nothing about how much of a token was right.
 * @param {string} token
 */
function digest(token) {
  return createHash('sha256').update(token).digest();
}

/** @type {import('junction-proxy').PluginDefinition<Config>} */
const requireToken = {
  name: 'require-token',

  parseConfig(raw) {
    if (raw === undefined || raw === null) {
      throw new Error('needs a config with tokens: a list of accepted bearer tokens');
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`config must be a mapping with tokens, got ${describe(raw)}`);
    }
    const config = /** @type {Record<string, unknown>} */ (raw);
    for (const key of Object.keys(config)) {
      if (!KNOWN_KEYS.includes(key))
        throw new Error(`unknown key '${key}' (known: ${KNOWN_KEYS.join(', ')})`);
    }
    const tokens = config['tokens'];
    if (!Array.isArray(tokens)) throw new Error(`tokens must be a list of strings, got ${describe(tokens)}`);
    if (tokens.length === 0) throw new Error('tokens must list at least one token');
    for (const [index, token] of tokens.entries()) {
      if (typeof token !== 'string' || !TOKEN.test(token)) {
        throw new Error(
          `tokens[${index}] must be a bearer token (letters, digits and -._~+/, then optional =), got ${describe(token)}`,
        );
      }
    }
    const realm = config['realm'] ?? 'junction';
    if (typeof realm !== 'string' || realm === '' || /["\\\r\n\0]/.test(realm)) {
      throw new Error(
        `realm must be a non-empty string without quotes or backslashes, got ${describe(realm)}`,
      );
    }
    const strip = config['strip'] ?? true;
    if (typeof strip !== 'boolean') throw new Error(`strip must be true or false, got ${describe(strip)}`);
    return { tokens: /** @type {string[]} */ (tokens), realm, strip };
  },

  setup(api) {
    const { realm, strip } = api.config;
    const accepted = api.config.tokens.map(digest);
    const challenge = `Bearer realm="${realm}"`;
    const invalid = `${challenge}, error="invalid_token"`;

    /** @param {string} token */
    const isAccepted = (token) => {
      const given = digest(token);
      let found = false;
      // No early exit: every request costs the same comparisons.
      for (const expected of accepted) found = timingSafeEqual(given, expected) || found;
      return found;
    };

    // A route plugin's hooks run from remap on; a global one checks before routing.
    const point = api.route === undefined ? 'read-request' : 'remap';
    api.hook(point, (txn) => {
      const headers = txn.request.headers;
      const authorization = headers.get('authorization');
      const match = authorization === undefined ? null : BEARER.exec(authorization);
      const token = match?.[1];
      if (token === undefined || headers.getAll('authorization').length > 1 || !isAccepted(token)) {
        txn.respond({
          status: 401,
          headers: { 'WWW-Authenticate': token === undefined ? challenge : invalid },
          body: 'a valid bearer token is required\n',
        });
        return;
      }
      if (strip) headers.delete('authorization');
    });
    api.log.debug({ tokens: accepted.length, point }, 'require-token is checking bearer tokens');
  },
};

export default requireToken;
