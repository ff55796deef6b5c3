import { describe, expect, test } from 'vitest';
import { MetricsTextError, parseMetricsText, renderFamilies } from './metric-family.ts';

const TEXT = `# HELP junction_requests_total Finished requests.
# TYPE junction_requests_total counter
junction_requests_total{listener="main",route="a\\"b\\\\c\\nd",code="200"} 3
junction_requests_total{listener="main",route="",code="502"} 1

# HELP h A histogram.
# TYPE h histogram
h_bucket{route="api",le="0.5"} 1
h_bucket{route="api",le="+Inf"} 2
h_sum{route="api"} 1.25
h_count{route="api"} 2
# a comment
# TYPE g gauge
g -Inf
g{x="1"} 1e-3 1700000000000
`;

describe('parseMetricsText', () => {
  test('families with their help, type and samples; escapes undone', () => {
    const families = parseMetricsText(TEXT);
    expect(families.map((f) => [f.name, f.type, f.values.length])).toEqual([
      ['junction_requests_total', 'counter', 2],
      ['h', 'histogram', 4],
      ['g', 'gauge', 2],
    ]);
    expect(families[0]!.help).toBe('Finished requests.');
    expect(families[0]!.values[0]).toEqual({
      value: 3,
      labels: { listener: 'main', route: 'a"b\\c\nd', code: '200' },
    });
    expect(families[1]!.values[1]).toEqual({
      value: 2,
      labels: { route: 'api', le: '+Inf' },
      metricName: 'h_bucket',
    });
    expect(families[2]!.values.map((v) => v.value)).toEqual([-Infinity, 0.001]);
  });

  test('rendered again, parses to the same families', () => {
    const families = parseMetricsText(TEXT);
    expect(parseMetricsText(renderFamilies(families))).toEqual(families);
  });

  test.each([
    ['a sample before its TYPE', 'x 1\n'],
    ['a sample of another family', '# TYPE x counter\ny 1\n'],
    ['a histogram sample without its suffix', '# TYPE h histogram\nh 1\n'],
    ['a series twice', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a family declared twice', '# TYPE x gauge\n# TYPE x gauge\n'],
    ['an unknown type', '# TYPE x thing\n'],
    ['a value that is not a number', '# TYPE x gauge\nx one\n'],
    ['an unclosed label value', '# TYPE x gauge\nx{a="1} 1\n'],
    ['an unquoted label value', '# TYPE x gauge\nx{a=1} 1\n'],
    ['a bad escape', '# TYPE x gauge\nx{a="\\t"} 1\n'],
    ['no value', '# TYPE x gauge\nx{a="1"}\n'],
    ['a label twice', '# TYPE x gauge\nx{a="1",a="2"} 1\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseMetricsText(text)).toThrow(MetricsTextError);
  });
});
