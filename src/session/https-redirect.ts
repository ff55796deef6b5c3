import { statusText } from '../codec/index.ts';
import type { RequestHead } from '../codec/types.ts';
import type { HttpsRedirectConfig } from '../config/types.ts';
import { serializeLocalHead } from '../transaction/forward-heads.ts';
import type { SessionPort } from '../transaction/session-port.ts';
import { dateField } from '../util/http-date.ts';

/**
 * Answers a request on a listener with `redirect_to_https`: the same host and target over HTTPS.
 * No route, hook or upstream is involved, so a plain listener that only redirects never proxies a
 * byte in clear. A request with a body is answered at once and its connection closed, rather than
 * reading a body that nobody wants.
 *
 * `rest` holds bytes read after the head from `restStart` on: pipelined requests when there is no body.
 * `requestIdField` ([name, value]) goes on the answer. Returns the status answered.
 */
export function redirectToHttps(
  session: SessionPort,
  head: RequestHead,
  redirect: HttpsRedirectConfig,
  rest: Buffer,
  restStart: number,
  requestIdField: readonly string[] = [],
): number {
  const hasBody = head.bodyKind === 'chunked' || (head.bodyKind === 'length' && head.contentLength > 0);
  const keepAlive = head.keepAlive && !hasBody && !session.draining;
  if (keepAlive && rest.length > restStart) session.stashPipelined(rest, restStart);
  const idField = requestIdField.length === 2 ? `${requestIdField[0]}: ${requestIdField[1]}\r\n` : '';
  if (head.host === '') {
    const body = 'a request without Host cannot be redirected\n';
    session.writeClient(
      serializeLocalHead(
        400,
        statusText(400),
        ['Content-Type', 'text/plain; charset=utf-8', ...requestIdField],
        Buffer.byteLength(body),
        true,
      ) + body,
      'latin1',
    );
    session.onTransactionDone(false);
    return 400;
  }
  const location = httpsLocation(head, redirect.port);
  const body = `${location}\n`;
  session.writeClient(
    `HTTP/1.1 ${redirect.status} ${statusText(redirect.status)}\r\n` +
      dateField() +
      `Location: ${location}\r\n` +
      idField +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (keepAlive ? '' : 'Connection: close\r\n') +
      '\r\n' +
      (head.method === 'HEAD' ? '' : body),
    'latin1',
  );
  session.onTransactionDone(keepAlive);
  return redirect.status;
}

/**
 * `https://host[:port]/path?query`; port 443 is left out, as browsers write it. A target that is not
 * a path (`OPTIONS *`) goes to the root.
 */
export function httpsLocation(head: RequestHead, port: number): string {
  const path = head.path.startsWith('/') ? head.path : '/';
  return `https://${head.host}${port === 443 ? '' : `:${port}`}${path}${head.query}`;
}
