/** Small readers for the built-in plugins' config sections: plain checks with messages that name keys. */

export function objectConfig(raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('config must be a mapping');
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) throw new Error(`unknown key '${key}' (known: ${allowed.join(', ')})`);
  }
  return config;
}

export function optionalNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${key} must be a number`);
  return value;
}

export function optionalStringList(config: Record<string, unknown>, key: string): string[] | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`${key} must be a list of strings`);
  }
  return value;
}
