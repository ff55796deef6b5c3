/**
 * A small JSON Schema validator for the keywords `junction schema` emits (draft 2020-12's type,
 * properties, required, additionalProperties, propertyNames, items, anyOf, enum, const, bounds,
 * pattern), so its test needs no dependency. A keyword it does not know is an error, never ignored:
 * a schema using one must be checked by a full validator before this one can vouch for it.
 */
type Schema = Record<string, unknown> | boolean;

/** JSON Schema counts string length in code points, as Array.from does. */
const codePoints = (text: string): number => Array.from(text).length;

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', 'examples']);

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      throw new Error(`unknown type '${type}'`);
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The problems of `value` against `schema`, each as `pointer: what`; empty when it is valid. */
export function validateJsonSchema(schema: Schema, value: unknown, at = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at || '/'}: no value is allowed here`];
  const problems: string[] = [];
  const fail = (what: string): void => {
    problems.push(`${at || '/'}: ${what}`);
  };
  for (const [keyword, argument] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(argument) ? (argument as string[]) : [argument as string];
        if (!types.some((type) => typeMatches(type, value))) fail(`must be of type ${types.join(' or ')}`);
        break;
      }
      case 'enum':
        if (!(argument as unknown[]).some((option) => equal(option, value))) fail('is not one of the enum');
        break;
      case 'const':
        if (!equal(argument, value)) fail(`must be ${JSON.stringify(argument)}`);
        break;
      case 'anyOf': {
        const results = (argument as Schema[]).map((branch) => validateJsonSchema(branch, value, at));
        if (results.some((result) => result.length === 0)) break;
        // The branch the value was meant for is the one that failed only below this point: its problems say most.
        const deeper = results
          .filter((result) => result.every((problem) => problem.startsWith(`${at}/`)))
          .sort((a, b) => a.length - b.length)[0];
        if (deeper === undefined) fail('matches none of anyOf');
        else problems.push(...deeper);
        break;
      }
      case 'minimum':
        if (typeof value === 'number' && value < (argument as number)) fail(`must be >= ${String(argument)}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (argument as number)) fail(`must be <= ${String(argument)}`);
        break;
      case 'exclusiveMinimum':
        if (typeof value === 'number' && value <= (argument as number)) fail(`must be > ${String(argument)}`);
        break;
      case 'exclusiveMaximum':
        if (typeof value === 'number' && value >= (argument as number)) fail(`must be < ${String(argument)}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && codePoints(value) < (argument as number)) fail('is too short');
        break;
      case 'maxLength':
        if (typeof value === 'string' && codePoints(value) > (argument as number)) fail('is too long');
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(argument as string, 'u').test(value)) {
          fail(`must match ${String(argument)}`);
        }
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < (argument as number)) fail('has too few items');
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > (argument as number)) fail('has too many items');
        break;
      case 'items':
        if (Array.isArray(value)) {
          value.forEach((item, index) => {
            problems.push(...validateJsonSchema(argument as Schema, item, `${at}/${index}`));
          });
        }
        break;
      case 'required':
        if (typeMatches('object', value)) {
          for (const key of argument as string[]) {
            if (!(key in (value as object))) fail(`needs '${key}'`);
          }
        }
        break;
      case 'properties':
        if (typeMatches('object', value)) {
          for (const [key, property] of Object.entries(argument as Record<string, Schema>)) {
            if (key in (value as object)) {
              problems.push(
                ...validateJsonSchema(property, (value as Record<string, unknown>)[key], `${at}/${key}`),
              );
            }
          }
        }
        break;
      case 'additionalProperties':
        if (typeMatches('object', value)) {
          const known = Object.keys(schema['properties'] ?? {});
          for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            if (known.includes(key)) continue;
            if (argument === false) fail(`has an unknown key '${key}'`);
            else problems.push(...validateJsonSchema(argument as Schema, item, `${at}/${key}`));
          }
        }
        break;
      case 'propertyNames':
        if (typeMatches('object', value)) {
          for (const key of Object.keys(value as object)) {
            problems.push(...validateJsonSchema(argument as Schema, key, `${at}/${key} (its name)`));
          }
        }
        break;
      default:
        throw new Error(`${at || '/'}: the keyword '${keyword}' is not supported by this validator`);
    }
  }
  return problems;
}
