import { Transform, type TransformCallback } from 'node:stream';
import { headerValue } from './headers.ts';
import { compileMediaTypes, mediaTypeOf } from './media-types.ts';
import {
  forbidsTransform,
  hasBody,
  hasContentCoding,
  markContentRewritten,
  responseHasRewritableBody,
} from './message-rules.ts';
import type { BodyTransform, MessageTransformFactory } from './types.ts';

/** A literal string to find and what to put in its place. */
export type Replacement = readonly [search: string, replace: string];

/** The content types replaceText rewrites unless told otherwise. */
export const DEFAULT_REPLACE_TYPES: readonly string[] = ['text/html', 'text/plain'];

interface ReplaceTextCommon {
  /** Media-type patterns of the bodies to rewrite (see compileMediaTypes). Default: text/html, text/plain. */
  readonly types?: readonly string[] | undefined;
  /** The transform's name in logs. Default: replace-text. */
  readonly name?: string | undefined;
}

export type ReplaceTextOptions = ReplaceTextCommon &
  (
    | { readonly search: string; readonly replace: string }
    /** Several at once; see ReplaceStream for which wins where they overlap. */
    | { readonly replacements: readonly Replacement[] }
  );

/**
 * Replaces literal strings in text bodies as they stream, for responses (called with the response)
 * or request bodies (called with the request alone). The factory returns undefined, leaving the
 * message alone, when it has no body (or is a HEAD, 1xx, 204, 206 or 304 answer), has a
 * Content-Encoding other than identity, says Cache-Control: no-transform (a response also when its
 * request says so), or its Content-Type does not match `types`. A rewritten message gets a weak ETag
 * and loses Accept-Ranges and digests of the old bytes. Throws on invalid options.
 */
export function replaceText(options: ReplaceTextOptions): MessageTransformFactory {
  const replacements =
    'replacements' in options ? options.replacements : [[options.search, options.replace] as const];
  validate(replacements);
  const copy: readonly Replacement[] = replacements.map(([search, replace]) => [search, replace]);
  const isText = compileMediaTypes(options.types ?? DEFAULT_REPLACE_TYPES);
  // Nothing per message: one object serves them all, each stream() is fresh.
  const transform: BodyTransform = {
    name: options.name ?? 'replace-text',
    editHead: markContentRewritten,
    stream: () => new ReplaceStream(copy),
  };
  return (request, response) => {
    const head = response ?? request;
    if (response === undefined ? !hasBody(request) : !responseHasRewritableBody(request, response))
      return undefined;
    if (hasContentCoding(head.headers) || forbidsTransform(head.headers)) return undefined;
    if (response !== undefined && forbidsTransform(request.headers)) return undefined;
    if (!isText(mediaTypeOf(headerValue(head.headers, 'content-type')))) return undefined;
    return transform;
  };
}

function validate(replacements: readonly Replacement[]): void {
  if (replacements.length === 0) throw new Error('replace-text: give at least one replacement');
  for (const [search, replace] of replacements) {
    if (typeof search !== 'string' || search === '')
      throw new Error('replace-text: a search string is empty');
    if (typeof replace !== 'string')
      throw new Error(`replace-text: the replacement for "${search}" is not a string`);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Replaces literal strings in a byte stream, correctly across chunk boundaries. Matching is on the
 * UTF-8 bytes of each search string, so in UTF-8 text a match always falls on character boundaries
 * (UTF-8 is self-synchronising); ASCII search strings also work in any ASCII-compatible charset.
 *
 * Matches do not overlap and replaced text is not searched again. With several replacements, the
 * leftmost match wins, and of several starting at the same byte, the one listed first. Between
 * chunks only bytes that could still begin a match are held back: at most the longest search's length
 * minus one.
 */
export class ReplaceStream extends Transform {
  readonly #searches: readonly Buffer[];
  readonly #replaces: readonly Buffer[];
  readonly #longest: number;
  /** Bytes from the end of earlier input that may begin a match still. */
  #tail: Buffer = EMPTY;

  constructor(replacements: readonly Replacement[]) {
    super();
    validate(replacements);
    this.#searches = replacements.map(([search]) => Buffer.from(search, 'utf8'));
    this.#replaces = replacements.map(([, replace]) => Buffer.from(replace, 'utf8'));
    this.#longest = Math.max(...this.#searches.map((s) => s.length));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#emit(data, false);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const data = this.#tail;
    this.#tail = EMPTY;
    if (data.length > 0) this.#emit(data, true);
    callback();
  }

  /**
   * The first position from `from` on where a search could still begin: the bytes from there to the
   * end are all a prefix of some search (or a whole one). data.length when there is none, so text that
   * cannot begin a match is never held back.
   */
  #firstPossibleStart(data: Buffer, from: number): number {
    const searches = this.#searches;
    for (let start = from; start < data.length; start++) {
      const byte = data[start];
      for (const search of searches) {
        if (search[0] !== byte) continue;
        const n = Math.min(search.length, data.length - start);
        if (data.compare(search, 0, n, start, start + n) === 0) return start;
      }
    }
    return data.length;
  }

  /** Replaces what can be decided in `data`, pushes the result, and keeps the undecided end. */
  #emit(data: Buffer, final: boolean): void {
    const searches = this.#searches;
    const pieces: Buffer[] = [];
    let replaced = false;
    let pos = 0;
    // Where each search next occurs at or after pos: -2 not looked for yet, -1 nowhere.
    const nextAt = new Array<number>(searches.length).fill(-2);
    for (;;) {
      let which = -1;
      let at = -1;
      for (let i = 0; i < searches.length; i++) {
        let found = nextAt[i]!;
        if (found === -2 || (found !== -1 && found < pos)) {
          found = data.indexOf(searches[i]!, pos);
          nextAt[i] = found;
        }
        if (found !== -1 && (at === -1 || found < at)) {
          which = i;
          at = found;
        }
      }
      // A longer search could still begin at or before `at` and run past the data: wait for more.
      if (which === -1 || (!final && at + this.#longest > data.length)) break;
      if (at > pos) pieces.push(data.subarray(pos, at));
      pieces.push(this.#replaces[which]!);
      replaced = true;
      pos = at + searches[which]!.length;
    }
    // Before this point every search was fully visible, so no match begins there.
    const decided = Math.max(pos, data.length - (this.#longest - 1));
    const keepFrom = final ? data.length : this.#firstPossibleStart(data, decided);
    if (keepFrom > pos) pieces.push(data.subarray(pos, keepFrom));
    // A copy: the tail is small, and a view would pin the whole chunk it came from.
    this.#tail = keepFrom < data.length ? Buffer.from(data.subarray(keepFrom)) : EMPTY;
    // Replacement buffers are shared between streams: never hand one out as is.
    const out = pieces.length === 1 && !replaced ? pieces[0]! : Buffer.concat(pieces);
    if (out.length > 0) this.push(out);
  }
}
