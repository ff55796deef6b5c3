/**
 * Which backend a cluster's strategy picks for one request. The real strategy plugin is built over
 * stand-in members (the cluster's backends, up or down as health says), so nothing it keeps is
 * shared with a running cluster. A pick is called deterministic when fresh instances with different
 * random sources pick the same backend several times over (a hash, a sticky cookie, failover to the
 * first of a group); otherwise the candidates and their weights are the answer.
 */
import type { ClusterConfig, StrategyConfig } from '../config/index.ts';
import type { SelectionInput, StrategyPlugin, Upstream } from '../strategies/index.ts';

/** One backend as explain reports it. */
export interface BackendView {
  readonly id: string;
  readonly address: string;
  readonly weight: number;
  /** Whether the strategy may pick it: health does not skip it. */
  readonly up: boolean;
  /** Why health skips it; undefined when it is up. */
  readonly skippedBecause: string | undefined;
}

export interface BackendPick {
  /** The backend every pick agreed on, when the strategy is deterministic for this request. */
  readonly backend: string | undefined;
  readonly deterministic: boolean;
  /** Backends the strategy may pick, with their weights, when it is not deterministic. */
  readonly candidates: readonly { readonly id: string; readonly weight: number }[];
  /** Set when no backend can be picked (all down): Junction answers 503. */
  readonly none: boolean;
}

/** Health as known: offline, every backend is up; the running process knows better. */
export type HealthLookup = (cluster: string, backend: string) => { up: boolean; because?: string };

export function backendViews(cluster: ClusterConfig, health: HealthLookup | undefined): BackendView[] {
  return cluster.backends.map((b) => {
    const state = health?.(cluster.name, b.id) ?? { up: true };
    return {
      id: b.id,
      address: `${b.host}:${b.port}`,
      weight: b.weight,
      up: state.up,
      skippedBecause: state.up ? undefined : (state.because ?? 'down'),
    };
  });
}

const PICKS_PER_INSTANCE = 4;

export function pickBackend(
  plugin: StrategyPlugin,
  strategy: StrategyConfig,
  backends: readonly BackendView[],
  input: SelectionInput,
  pinned: string | undefined,
): BackendPick {
  const up = backends.filter((b) => b.up);
  const candidates = up.map((b) => ({ id: b.id, weight: b.weight }));
  if (pinned !== undefined) {
    const ok = up.some((b) => b.id === pinned);
    return { backend: ok ? pinned : undefined, deterministic: true, candidates: [], none: !ok };
  }
  if (up.length === 0) return { backend: undefined, deterministic: true, candidates: [], none: true };
  const members: Upstream[] = backends.map((b) => {
    const colon = b.address.lastIndexOf(':');
    return {
      id: b.id,
      host: b.address.slice(0, colon),
      port: Number(b.address.slice(colon + 1)),
      weight: b.weight,
      isUp: b.up,
      inFlight: 0,
    };
  });
  const options = plugin.parseOptions(strategy.options);
  const picks = new Set<string | undefined>();
  for (const seed of [0.13, 0.71]) {
    let state = seed;
    const random = () => (state = (state * 9301 + 0.49297) % 1);
    const instance = plugin.create(options, members, { random, now: () => 0 });
    for (let i = 0; i < PICKS_PER_INSTANCE; i++) picks.add(instance.select(input, undefined)?.id);
  }
  if (picks.size === 1) {
    const [only] = picks;
    return { backend: only, deterministic: true, candidates: [], none: only === undefined };
  }
  return { backend: undefined, deterministic: false, candidates, none: false };
}
