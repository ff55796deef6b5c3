import { compressResponse, type CompressOptions, type ContentCoding } from '../../transforms/index.ts';
import { definePlugin } from '../define-plugin.ts';
import { objectConfig, optionalNumber, optionalStringList } from './config-reading.ts';

/**
 * `junction:compress`: gzip and brotli for responses, negotiated with Accept-Encoding (see
 * docs/transforms.md). Config: encodings, min_size, types, gzip_level, brotli_quality.
 */
export const compressPlugin = definePlugin<CompressOptions>({
  name: 'compress',
  parseConfig(raw) {
    const config = objectConfig(raw, ['encodings', 'min_size', 'types', 'gzip_level', 'brotli_quality']);
    const encodings = optionalStringList(config, 'encodings');
    for (const encoding of encodings ?? []) {
      if (encoding !== 'br' && encoding !== 'gzip')
        throw new Error(`encodings: '${encoding}' is not br or gzip`);
    }
    const options: CompressOptions = {
      encodings: encodings as ContentCoding[] | undefined,
      minSize: optionalNumber(config, 'min_size'),
      types: optionalStringList(config, 'types'),
      gzipLevel: optionalNumber(config, 'gzip_level'),
      brotliQuality: optionalNumber(config, 'brotli_quality'),
    };
    compressResponse(options); // throws on invalid values, with their names
    return options;
  },
  setup(api) {
    const factory = compressResponse(api.config);
    // The last point a transform can be added: compression comes after every other body rewrite.
    api.hook('send-response', (txn) => {
      txn.transformResponse(factory);
    });
  },
});
