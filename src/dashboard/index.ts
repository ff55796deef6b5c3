/**
 * dashboard: the live dashboard on the admin listener. Owns the page (plain HTML, CSS and JavaScript in
 * the package's top-level `dashboard/` folder, with uPlot's files for the charts: no build step,
 * nothing loaded from elsewhere), the page's headers, which browser requests count as the page's own,
 * and its one data endpoint's answer: the admin API's reads of the target plus rates, error ratios
 * and latency percentiles computed from a short ring of `/metrics` readings.
 * - Numbers come from the admin target (status, stats, clusters, backends) and the scrape; it counts
 *   nothing itself. The last failed transactions are kept by metrics/ (recent-failures.ts; a group's
 *   merged from every worker's), the last reload's diff by the server (its status's `lastReload`).
 * - The page changes nothing by itself: its drain and undrain buttons call the admin API, under the
 *   admin API's rules (token, refusal of other sites).
 * Does not: touch the data plane (listeners, snapshots, pools), serve HTTP itself (admin/ routes to
 * it and applies the access rules), or keep state beyond the ring.
 * Used by: admin/. Uses: server/ (types, config diff), metrics/ (scrape parser, types), config/.
 */
export { dashboardAsset, isDashboardAsset, PAGE_HEADERS } from './assets.ts';
export { fromDashboardPage } from './browser-requests.ts';
export {
  backendState,
  Dashboard,
  routeConditions,
  type BackendState,
  type DashboardMetrics,
  type DashboardOptions,
  type DashboardTarget,
} from './dashboard-state.ts';

/** The data endpoint the page polls (behind the admin API's token). */
export const DASHBOARD_STATE_PATH = '/dashboard/api/state';
