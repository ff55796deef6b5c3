// @ts-check
/**
 * An example body rewriter: replaces every ASCII digit of text/plain responses with a mask character,
 * streaming, so it works on bodies of any size without holding them. It shows the whole transform
 * API: a factory that decides per response, the head edits the new body needs, and a fresh stream.
 *
 *   plugins:
 *     - { module: ./plugins/redact-digits.js, config: { mask: '#' } }
 *
 * For literal replacements and compression there are built-in plugins: junction:replace-text and
 * junction:compress (docs/transforms.md).
 */
import { Transform } from 'node:stream';

/** @typedef {{ readonly mask: number }} Config */

/** @type {import('junction-proxy').PluginDefinition<Config>} */
const redactDigits = {
  name: 'redact-digits',

  parseConfig(raw) {
    const mask = /** @type {{ mask?: unknown } | undefined} */ (raw)?.mask ?? '#';
    if (
      typeof mask !== 'string' ||
      mask.length !== 1 ||
      mask.charCodeAt(0) > 0x7e ||
      mask.charCodeAt(0) < 0x20
    ) {
      throw new Error('mask must be one printable ASCII character');
    }
    return { mask: mask.charCodeAt(0) };
  },

  setup(api) {
    /** @type {import('junction-proxy').ResponseTransformFactory} */
    const factory = (request, response) => {
      const type = headerValue(response.headers, 'content-type') ?? '';
      const encoded = (headerValue(response.headers, 'content-encoding') ?? 'identity') !== 'identity';
      if (request.method === 'HEAD' || encoded || !type.toLowerCase().startsWith('text/plain'))
        return undefined;
      return {
        name: 'redact-digits',
        // The bytes change (not the length): validators of the old bytes must go.
        editHead(headers) {
          for (let i = headers.length - 2; i >= 0; i -= 2) {
            const name = /** @type {string} */ (headers[i]).toLowerCase();
            if (name === 'etag' || name === 'content-md5' || name === 'accept-ranges') headers.splice(i, 2);
          }
        },
        stream: () =>
          new Transform({
            transform(chunk, _encoding, done) {
              const out = Buffer.from(/** @type {Buffer} */ (chunk));
              for (let i = 0; i < out.length; i++) {
                const byte = /** @type {number} */ (out[i]);
                if (byte >= 0x30 && byte <= 0x39) out[i] = api.config.mask;
              }
              done(null, out);
            },
          }),
      };
    };
    const point = api.route === undefined ? 'read-request' : 'remap';
    api.hook(point, (txn) => {
      txn.transformResponse(factory);
    });
  },
};

/**
 * @param {readonly string[]} headers flat name, value, name, value, …
 * @param {string} lowerName
 */
function headerValue(headers, lowerName) {
  for (let i = 0; i < headers.length; i += 2) {
    if (/** @type {string} */ (headers[i]).toLowerCase() === lowerName) return headers[i + 1];
  }
  return undefined;
}

export default redactDigits;
