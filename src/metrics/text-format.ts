/**
 * Renders the metrics read at scrape time straight into the Prometheus text format (0.0.4). They are
 * rebuilt from the server's state at every scrape, so prom-client's label children (hashed lookups,
 * kept between scrapes for counters incremented in place) would only add cost: at 1,000 backends a
 * scrape through them took several times longer. Metrics incremented as things happen belong in the
 * prom-client registry instead, which renders after these.
 */
import type { ServerObservation } from '../server/index.ts';
import type { CarriedTotals } from './carried-totals.ts';
import type { ServerMetric } from './server-metrics.ts';

/** Label values may hold any character: backslash, double quote and newline are escaped. */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `{a="x",b="y"}` in the definition's label order, or '' without labels. */
export function labelText(labels: Readonly<Record<string, string>>): string {
  let text = '';
  for (const name in labels) {
    text += `${text === '' ? '{' : ','}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return text === '' ? '' : `${text}}`;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * Every definition's HELP, TYPE and series for `observation`. Counters go through `totals`, keyed by
 * their series text, so they stay monotonic when a reload replaces what holds them.
 */
export function renderMetrics(
  definitions: readonly ServerMetric[],
  observation: ServerObservation,
  totals: CarriedTotals,
): string {
  let out = '';
  for (const definition of definitions) {
    const { name, type } = definition;
    out += `# HELP ${name} ${escapeHelp(definition.help)}\n# TYPE ${name} ${type}\n`;
    definition.read(observation, (labels, value, counters) => {
      const series = `${name}${labelText(labels)}`;
      const shown =
        type === 'counter' && counters !== undefined ? totals.total(series, counters, value) : value;
      out += `${series} ${formatValue(shown)}\n`;
    });
    out += '\n';
  }
  return out;
}
