import { statusText } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import type { HttpsRedirectConfig } from '../config/types.ts';
import { serializeLocalResponse } from '../transaction/forward-heads.ts';
import type { SessionPort } from '../transaction/session-port.ts';
import { dateField } from '../util/http-date.ts';

/**
 * Answers a request on a listener with `redirect_to_https`: the same host and target over HTTPS.
 * No route, hook or upstream is involved, so a plain listener that only redirects never proxies a
 * byte in clear. A request with a body is answered at once and its connection closed, rather than
 * reading a body that nobody wants.
 *
 * `rest` holds bytes read after the head from `restStart` on: pipelined requests when there is no body.
 */
export function redirectToHttps(
  session: SessionPort,
  head: RequestHead,
  redirect: HttpsRedirectConfig,
  rest: Buffer,
  restStart: number,
): void {
  const hasBody = head.bodyKind === 'chunked' || (head.bodyKind === 'length' && head.contentLength > 0);
  const keepAlive = head.keepAlive && !hasBody && !session.draining;
  if (keepAlive && rest.length > restStart) session.stashPipelined(rest, restStart);
  if (head.host === '') {
    session.writeClient(
      serializeLocalResponse(400, statusText(400), 'a request without Host cannot be redirected\n', true),
      'latin1',
    );
    session.onTransactionDone(false);
    return;
  }
  const location = httpsLocation(head, redirect.port);
  const body = `${location}\n`;
  session.writeClient(
    `HTTP/1.1 ${redirect.status} ${statusText(redirect.status)}\r\n` +
      dateField() +
      `Location: ${location}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (keepAlive ? '' : 'Connection: close\r\n') +
      '\r\n' +
      (head.method === 'HEAD' ? '' : body),
    'latin1',
  );
  session.onTransactionDone(keepAlive);
}

/**
 * `https://host[:port]/path?query`; port 443 is left out, as browsers write it. A target that is not
 * a path (`OPTIONS *`) goes to the root.
 */
export function httpsLocation(head: RequestHead, port: number): string {
  const path = head.path.startsWith('/') ? head.path : '/';
  return `https://${head.host}${port === 443 ? '' : `:${port}`}${path}${head.query}`;
}
