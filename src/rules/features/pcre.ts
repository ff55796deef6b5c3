/**
 * TxnBox patterns are PCRE; Junction's are JavaScript's. The two agree on what rules write, except
 * POSIX classes inside brackets (`[[:alnum:]]`), which JavaScript lacks: they are spelled out here.
 */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  digit: '0-9',
  xdigit: '0-9A-Fa-f',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  word: '\\w',
};

/** The JavaScript source for a PCRE pattern: POSIX bracket classes spelled out. */
export function pcreSource(pattern: string): string {
  return pattern.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
}
