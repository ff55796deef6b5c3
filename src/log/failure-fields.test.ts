import { expect, test } from 'vitest';
import { ConnectError, RouteError, UpstreamError } from '../errors/index.ts';
import { failureFields } from './failure-fields.ts';

function systemError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno: -111 });
}

test("a wrapped connect failure gives the cause's code, the outer one, and the system error; no err", () => {
  const cause = new ConnectError('JCT_ERR_CONNECT_REFUSED', '127.0.0.1:1', 'refused', {
    cause: systemError('ECONNREFUSED', 'connect'),
  });
  const outer = new RouteError('JCT_ERR_NO_UPSTREAM', 'no upstream', { cause });
  expect(failureFields(outer)).toEqual({
    code: 'JCT_ERR_CONNECT_REFUSED',
    outerCode: 'JCT_ERR_NO_UPSTREAM',
    errno: 'ECONNREFUSED',
  });
});

test('a typed error without a cause is its own code', () => {
  expect(failureFields(new UpstreamError('JCT_ERR_UPSTREAM_RESET', 'u', 'reset'))).toEqual({
    code: 'JCT_ERR_UPSTREAM_RESET',
  });
});

test('network errors are expected (no stack); anything else is logged whole', () => {
  expect(failureFields(systemError('ECONNRESET', 'read'))).toEqual({ errno: 'ECONNRESET' });
  const tls = Object.assign(new Error('wrong version'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  expect(failureFields(tls)).toEqual({ errno: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  const bug = new TypeError('x is not a function');
  expect(failureFields(bug)).toEqual({ err: bug });
  const badArgument = Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' });
  expect(failureFields(badArgument)).toEqual({ err: badArgument });
  expect(failureFields(undefined)).toEqual({});
});
