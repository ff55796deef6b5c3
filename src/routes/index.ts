/**
 * routes: owns the URL matcher, RouteTable: which configured route a request belongs to, by host,
 * path, method and headers, with documented precedence. Pure: compiled from a snapshot's routes.
 * Does not: pick upstreams or retry (router/), read sockets or parse HTTP (codec/, session/).
 * Used by: server/ (snapshot building), transaction/ (through RouteMatcher), explain/ (explain()).
 * Uses: config/ types.
 */
export { RouteTable, type RouteExplanation, type RouteRequest, type RouteVerdict } from './route-table.ts';
