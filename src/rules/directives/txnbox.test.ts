import { describe, expect, it } from 'vitest';
import { upstreamSchemes } from '../../config/rules-config.ts';
import { compile, compileError, FakeTxn, ruleContext, StubEnv } from './fake-txn.test-suite.ts';

const schemes = upstreamSchemes({
  plain: { backends: ['10.0.0.1:80'] },
  secure: { backends: ['10.0.0.2:443'], tls: { server_name: 'x' } },
  mixed: { backends: ['https://a.example', { address: 'b.example:80' }] },
});

describe('upstreamSchemes', () => {
  it("is the cluster's tls, or the chosen backend's scheme when they differ", () => {
    expect(schemes('plain', undefined)).toBe('http');
    expect(schemes('secure', undefined)).toBe('https');
    expect(schemes('mixed', undefined)).toBeUndefined();
    expect(schemes('mixed', 'a.example:443')).toBe('https');
    expect(schemes('mixed', 'b.example:80')).toBe('http');
    expect(schemes('nowhere', undefined)).toBeUndefined();
    expect(upstreamSchemes({ off: { backends: ['x:1'], tls: { enabled: false } } })('off', 'x:1')).toBe(
      'http',
    );
  });
});

describe('ua-req-scheme', () => {
  it('sets the scheme the rules read, and answers 502 when the upstream speaks the other', () => {
    const txn = new FakeTxn({ path: '/a' });
    const ctx = ruleContext(txn);
    const env = new StubEnv({ hook: 'read-request', upstreamScheme: schemes });
    compile('ua-req-scheme', undefined, 'https', env)(ctx);
    expect(ctx.scheme).toBe('https');
    expect(txn.added.map(([hook]) => hook)).toEqual(['send-request']);
    const check = txn.added[0]![1];
    txn.cluster = 'secure';
    void check(txn);
    expect(txn.answer).toBeUndefined();
    txn.cluster = 'plain';
    void check(txn);
    expect(txn.answer).toEqual({ status: 502 });
    expect(txn.logLines.at(-1)).toMatchObject({ level: 50, rule: true, cluster: 'plain' });
  });

  it('takes http or https, before the backend is asked for', () => {
    expect(compileError('ua-req-scheme', undefined, 'ftp')).toMatch(/http or https/);
    expect(compileError('ua-req-scheme', undefined, 'https', { hook: 'send-request' })).toMatch(/not valid/);
  });
});

describe('remap-redirect', () => {
  it('redirects (302) to the URL as the route rules left it, the scheme they set included', () => {
    const txn = new FakeTxn({ path: '/me', hook: 'remap' });
    const ctx = ruleContext(txn);
    const env = new StubEnv({ hook: 'remap' });
    compile('ua-req-scheme', undefined, 'https', env)(ctx);
    compile('remap-redirect', undefined, null, env)(ctx);
    expect(txn.calls.at(-1)).toEqual(['redirect', 'https://example.com/me', 302]);
  });

  it("is valid in a route's rules only", () => {
    expect(compileError('remap-redirect', undefined, null, { hook: 'read-request' })).toMatch(/not valid/);
  });
});

describe('txn-conf of a setting Junction has fixed', () => {
  it('pristine_host_hdr is 1 (what Junction does); 0 is refused with why', () => {
    const setting = 'proxy.config.url_remap.pristine_host_hdr';
    const txn = new FakeTxn();
    compile('txn-conf', setting, 1, new StubEnv())(ruleContext(txn));
    expect(txn.calls).toEqual([]);
    expect(compileError('txn-conf', setting, 0)).toMatch(/can only be 1.*client's Host/);
  });
});

describe('txn-conf<proxy.config.http.insert_request_via_str>', () => {
  const setting = 'proxy.config.http.insert_request_via_str';

  it('1 adds a Via field to the request at proxy-req; 0 again takes it back', () => {
    const txn = new FakeTxn();
    const ctx = ruleContext(txn);
    compile('txn-conf', setting, 1, new StubEnv())(ctx);
    expect(txn.added.map(([hook]) => hook)).toEqual(['send-request']);
    void txn.added[0]![1](txn);
    expect(txn.request.headers.get('via')).toBe('1.1 junction');

    const off = new FakeTxn();
    const offCtx = ruleContext(off);
    compile('txn-conf', setting, 1, new StubEnv())(offCtx);
    compile('txn-conf', setting, 0, new StubEnv())(offCtx);
    expect(off.added).toHaveLength(1);
    void off.added[0]![1](off);
    expect(off.request.headers.get('via')).toBeUndefined();
  });

  it("refuses Traffic Server's verbose levels and a value known only per transaction", () => {
    expect(compileError('txn-conf', setting, 2)).toMatch(/cache codes/);
    expect(compileError('txn-conf', setting, 1, { hook: 'send-request' })).toMatch(/until post-remap/);
  });
});

describe('txn-conf<proxy.config.ssl.client.cert.filename>', () => {
  const setting = 'proxy.config.ssl.client.cert.filename';

  it('"" and "NULL" present no client certificate upstream for the transaction', () => {
    for (const value of ['', 'NULL']) {
      const txn = new FakeTxn();
      const asked: unknown[] = [];
      Object.assign(txn, { setUpstreamSettings: (settings: unknown) => asked.push(settings) });
      compile('txn-conf', setting, value, new StubEnv({ hook: 'post-remap' }))(ruleContext(txn));
      expect(asked).toEqual([{ clientCertificate: false }]);
    }
  });

  it("refuses a file name (a client certificate of its own is a cluster's) and a hook after post-remap", () => {
    expect(compileError('txn-conf', setting, 'bravo-signed.cert')).toMatch(/cluster's tls\.cert_file/);
    expect(compileError('txn-conf', setting, '', { hook: 'send-request' })).toMatch(/until post-remap/);
  });
});

describe('upstream-reason', () => {
  it("sets the reason of the upstream's response, at upstream-rsp", () => {
    const txn = new FakeTxn({ hook: 'read-response', response: { status: 200 } });
    compile('upstream-reason', undefined, 'Fine', new StubEnv({ hook: 'read-response' }))(ruleContext(txn));
    expect(txn.response?.reason).toBe('Fine');
    expect(compileError('upstream-reason', undefined, 'x', { hook: 'send-response' })).toMatch(/not valid/);
  });
});
