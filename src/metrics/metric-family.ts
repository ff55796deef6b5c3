/**
 * Metrics as data: families of samples, the shape prom-client's `getMetricsAsJSON()` gives (so a
 * prom-client registry's families and Junction's own mix), what a worker sends its primary and what
 * the primary merges (group-metrics.ts). The Prometheus text format is parsed into it strictly: a
 * line that is not valid text format, a sample outside its family, a series twice or a family
 * declared twice is an error, which is what makes the parser a check of a scrape as well.
 */
import { escapeHelp, formatValue, labelText } from './text-format.ts';

export type MetricFamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface MetricSample {
  readonly value: number;
  /** prom-client gives a histogram's `le` as a number; Junction's own are strings. */
  readonly labels: Readonly<Record<string, string | number>>;
  /** The sample's own name when it differs from the family's: `x_bucket`, `x_sum`, `x_count`. */
  readonly metricName?: string;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricFamilyType;
  readonly values: readonly MetricSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const WHOLE_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A line of a scrape that is not valid text format, with its line number. */
export class MetricsTextError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'MetricsTextError';
  }
}

/** The suffixes a sample of a family of `type` may add to the family's name. */
function suffixes(type: MetricFamilyType): readonly string[] {
  if (type === 'histogram') return ['_bucket', '_sum', '_count'];
  if (type === 'summary') return ['', '_sum', '_count'];
  return [''];
}

interface Building {
  name: string;
  help: string;
  type: MetricFamilyType;
  values: MetricSample[];
  /** Series already seen, by their text, to refuse duplicates. */
  series: Set<string>;
}

/** The families of a scrape in the Prometheus text format (0.0.4), in order. Throws MetricsTextError. */
export function parseMetricsText(text: string): MetricFamily[] {
  const families: Building[] = [];
  const declared = new Set<string>();
  const helps = new Map<string, string>();
  let current: Building | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const number = i + 1;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const comment = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (comment === null) continue;
      const keyword = comment[1]!;
      const name = comment[2]!;
      const rest = comment[3] ?? '';
      if (!WHOLE_NAME.test(name)) {
        throw new MetricsTextError(number, `'${name}' is not a metric name`);
      }
      if (keyword === 'HELP') {
        helps.set(name, unescapeHelp(rest));
        continue;
      }
      const type = rest.trim();
      if (!TYPES.has(type)) throw new MetricsTextError(number, `unknown metric type '${type}'`);
      if (declared.has(name)) throw new MetricsTextError(number, `${name} is declared twice`);
      declared.add(name);
      current = {
        name,
        help: helps.get(name) ?? '',
        type: type as MetricFamilyType,
        values: [],
        series: new Set(),
      };
      families.push(current);
      continue;
    }
    const sample = parseSample(line, number);
    if (current === undefined || !suffixes(current.type).some((s) => sample.name === current!.name + s)) {
      throw new MetricsTextError(number, `${sample.name} does not follow its # TYPE line`);
    }
    const key = sample.name + labelText(sample.labels);
    if (current.series.has(key)) throw new MetricsTextError(number, `${key} appears twice`);
    current.series.add(key);
    current.values.push({
      value: sample.value,
      labels: sample.labels,
      ...(sample.name === current.name ? {} : { metricName: sample.name }),
    });
  }
  return families.map(({ name, help, type, values }) => ({ name, help, type, values }));
}

function parseSample(
  line: string,
  number: number,
): { name: string; labels: Record<string, string>; value: number } {
  const nameMatch = NAME.exec(line);
  if (nameMatch === null) throw new MetricsTextError(number, 'a sample must start with a metric name');
  const name = nameMatch[0];
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    for (;;) {
      if (line[at] === '}') {
        at++;
        break;
      }
      const labelMatch = LABEL_NAME.exec(line.slice(at));
      if (labelMatch === null) throw new MetricsTextError(number, 'a label name was expected');
      const label = labelMatch[0];
      at += label.length;
      if (line[at] !== '=' || line[at + 1] !== '"') {
        throw new MetricsTextError(number, `label ${label} must be followed by ="`);
      }
      at += 2;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) throw new MetricsTextError(number, `the value of label ${label} is not closed`);
        at++;
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[at];
          at++;
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else throw new MetricsTextError(number, `invalid escape in the value of label ${label}`);
        } else {
          value += c;
        }
      }
      if (label in labels) throw new MetricsTextError(number, `label ${label} appears twice`);
      labels[label] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw new MetricsTextError(number, 'a comma or } was expected');
    }
  }
  const fields = line
    .slice(at)
    .trim()
    .split(/[ \t]+/);
  if (!/^[ \t]/.test(line.slice(at)) || fields.length > 2) {
    throw new MetricsTextError(number, 'a sample is its name and labels, a space, a value');
  }
  const value = parseValue(fields[0]!);
  if (value === undefined) throw new MetricsTextError(number, `'${fields[0]!}' is not a sample value`);
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1]!)) {
    throw new MetricsTextError(number, `'${fields[1]!}' is not a timestamp`);
  }
  return { name, labels, value };
}

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_match, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** `families` in the Prometheus text format (0.0.4). */
export function renderFamilies(families: readonly MetricFamily[]): string {
  let out = '';
  for (const family of families) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.values) {
      out += `${sample.metricName ?? family.name}${labelText(stringLabels(sample.labels))} ${formatValue(sample.value)}\n`;
    }
    out += '\n';
  }
  return out;
}

/** Label values as text (prom-client's numeric `le` as Prometheus prints it). */
export function stringLabels(labels: Readonly<Record<string, string | number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in labels) {
    const value = labels[name]!;
    out[name] = typeof value === 'number' ? formatValue(value) : value;
  }
  return out;
}
