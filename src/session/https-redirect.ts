import type { RequestHead } from '../codec/types.ts';
import type { HttpsRedirectConfig } from '../config/types.ts';
import { plainTextAnswer, redirectAnswer } from '../transaction/local-answers.ts';
import type { SessionPort } from '../transaction/session-port.ts';

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
  if (head.host === '') {
    session.writeClient(
      plainTextAnswer(400, requestIdField, 'a request without Host cannot be redirected\n', true),
      'latin1',
    );
    session.onTransactionDone(false);
    return 400;
  }
  const location = httpsLocation(head, redirect.port);
  session.writeClient(
    redirectAnswer(redirect.status, location, requestIdField, keepAlive, head.method === 'HEAD'),
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
