/**
 * Files a config names (certificates, keys, OCSP responses, token files), read while the config is
 * validated, relative to the config's folder, so a missing or wrong file is reported at its position.
 */
import * as z from 'zod';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { parsed, type ParseResult } from './schema-toolkit.ts';

/** A file name as the config writes it: absolute, or relative to the config's folder. */
export function configPath(baseDir: string, name: string): string {
  return isAbsolute(name) ? name : resolvePath(baseDir, name);
}

/** The file's contents, or why it cannot be read (`cannot read 'x' (ENOENT)`). */
function readConfigFile(baseDir: string, name: string): ParseResult<{ path: string; bytes: Buffer }> {
  const path = configPath(baseDir, name);
  try {
    return { ok: true, value: { path, bytes: readFileSync(path) } };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { ok: false, problem: `cannot read '${name}' (${reason})` };
  }
}

/** A PEM file the config names, read now so a missing file is reported with its position. */
export function pemFile(baseDir: string) {
  return parsed<string, { readonly path: string; readonly pem: string }>(z.string(), (name) => {
    const read = readConfigFile(baseDir, name);
    if (!read.ok) return read;
    const pem = read.value.bytes.toString('utf8');
    if (!pem.includes('-----BEGIN ')) return { ok: false, problem: `'${name}' is not a PEM file` };
    return { ok: true, value: { path: read.value.path, pem } };
  });
}

/** A binary file (an OCSP response, DER), read now. */
export function binaryFile(baseDir: string) {
  return parsed<string, { readonly path: string; readonly bytes: Buffer }>(z.string(), (name) => {
    const read = readConfigFile(baseDir, name);
    if (!read.ok) return read;
    if (read.value.bytes.length === 0) return { ok: false, problem: `'${name}' is empty` };
    return read;
  });
}

/** A secret read from a file at load time (trailing newline dropped), so a missing file has a position. */
export function secretFile(baseDir: string) {
  return parsed<string, string>(z.string(), (name) => {
    const read = readConfigFile(baseDir, name);
    if (!read.ok) return read;
    const text = read.value.bytes.toString('utf8').trim();
    if (text.length < 16)
      return { ok: false, problem: `'${name}' must hold a token of at least 16 characters` };
    return { ok: true, value: text };
  });
}
