import { describe, expect, it } from 'vitest';
import { fromDashboardPage } from './browser-requests.ts';

const host = '127.0.0.1:9901';

describe('fromDashboardPage', () => {
  it("takes the page's own requests: same origin, by Fetch Metadata or by Origin", () => {
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'same-origin', origin: `http://${host}` })).toBe(true);
    expect(fromDashboardPage({ host, origin: `http://${host}` })).toBe(true);
  });

  it('refuses requests from other sites and origins', () => {
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' })).toBe(
      false,
    );
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:8080' })).toBe(
      false,
    );
    expect(fromDashboardPage({ host, origin: 'http://evil.example' })).toBe(false);
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' })).toBe(
      false,
    );
    expect(fromDashboardPage({ host, origin: 'null' })).toBe(false);
  });

  it('is not about requests without browser marks (curl, junction ctl)', () => {
    expect(fromDashboardPage({ host })).toBe(false);
    expect(fromDashboardPage({ host, 'sec-fetch-site': 'none' })).toBe(false);
  });
});
