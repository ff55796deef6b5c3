/**
 * The YAML library's parse errors in Junction's words. Its messages are written for programmers
 * calling it (some advise another of its functions); a config's author needs what is wrong in the file.
 */
import type { ErrorCode as YamlErrorCode, YAMLError } from 'yaml';

/** Codes whose library message names library calls or internals, or reads poorly in a config. */
const WORDING: Partial<Record<YamlErrorCode, string>> = {
  MULTIPLE_DOCS:
    "a config file holds one YAML document, this one has more (a second '---' or a '...' line); remove or merge them",
  BAD_DIRECTIVE: 'unsupported YAML directive (a line starting with %)',
  IMPOSSIBLE: 'invalid YAML here',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  RESOURCE_EXHAUSTION: 'too many aliases: the document expands beyond what a config may hold',
  TAB_AS_INDENT: 'tabs are not allowed as indentation; indent with spaces',
  DUPLICATE_KEY: 'duplicate key',
};

/** Anything that reads like advice about calling the library rather than about the file. */
const LIBRARY_TALK = /\b(YAML\.|please use|options?\.|doc\.|parseAllDocuments|Document\b)/;

export function yamlProblem(error: YAMLError): string {
  const worded = WORDING[error.code];
  if (worded !== undefined) return worded;
  // The first sentence, lower-cased like Junction's other messages.
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (LIBRARY_TALK.test(message)) return 'invalid YAML here';
  return message.charAt(0).toLowerCase() + message.slice(1);
}
