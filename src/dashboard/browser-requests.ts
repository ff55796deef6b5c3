/**
 * Which browser requests the admin listener takes from the dashboard's own page. Browsers mark every
 * request a page makes (Origin, Sec-Fetch-Site: headers a page cannot set); the admin API refuses those
 * from other sites, and takes those from a page it served itself: same origin, so the same host and
 * port as the request's Host. A page on a DNS name rebound to the loopback address is same-origin
 * too, which is why the admin API still requires a loopback Host (or a token, which such a page does
 * not have: the dashboard keeps it in its own origin's sessionStorage).
 */
import type { IncomingHttpHeaders } from 'node:http';

export function fromDashboardPage(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  const origin = headers.origin;
  // A browser without Fetch Metadata still sends Origin on the page's POSTs (and CORS requests).
  if (site !== 'same-origin' && !(site === undefined && origin !== undefined)) return false;
  return origin === undefined || origin === `http://${headers.host ?? ''}`;
}
