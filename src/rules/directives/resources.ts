/**
 * The resources one compiled rule set defines at post-load: IP spaces, text blocks and stat
 * counters, by name. Files behind them are re-read while the rule set lives; dispose() stops that.
 */
import type { IpSpaceLookup, LoadMessage, RuleResources, StatCounter } from '../types.ts';

/** What a reload was about, for the compiler's logger. */
export interface ReloadSource {
  readonly kind: 'ip-space' | 'text-block';
  readonly name: string;
  readonly path: string;
  /** A text block's `notify` message, logged with the re-read. */
  readonly notify?: string;
}

export interface RuleResourcesOptions {
  /**
   * The resources of the rule set being replaced: a counter defined again under the same name is the
   * same counter, so its value carries over a reload.
   */
  readonly previous?: RuleResources | undefined;
}

export class RuleResourceStore implements RuleResources {
  readonly #ipSpaces = new Map<string, IpSpaceLookup>();
  readonly #textBlocks = new Map<string, () => string>();
  readonly #stats = new Map<string, StatCounter>();
  readonly #previous: RuleResources | undefined;
  #disposers: (() => void)[] = [];
  #disposed = false;

  /**
   * A file could not be re-read or parsed: the old contents stay in force. Set by whoever owns a
   * logger (the compiler); unset, the error is dropped.
   */
  onReloadError: ((error: Error, source: ReloadSource) => void) | undefined = undefined;
  /** A file was re-read and its new contents are in force. */
  onReload: ((source: ReloadSource) => void) | undefined = undefined;

  /** Logging directives' messages from post-load, until the first transaction writes them. */
  #loadMessages: LoadMessage[] = [];

  constructor(options: RuleResourcesOptions = {}) {
    this.#previous = options.previous;
  }

  loadMessage(message: LoadMessage): void {
    this.#loadMessages.push(message);
  }

  get hasLoadMessages(): boolean {
    return this.#loadMessages.length > 0;
  }

  /** The post-load messages not written yet (each is handed out once). */
  takeLoadMessages(): LoadMessage[] {
    if (this.#loadMessages.length === 0) return [];
    const messages = this.#loadMessages;
    this.#loadMessages = [];
    return messages;
  }

  ipSpace(name: string): IpSpaceLookup | undefined {
    return this.#ipSpaces.get(name);
  }
  textBlock(name: string): (() => string) | undefined {
    return this.#textBlocks.get(name);
  }
  stat(name: string): StatCounter | undefined {
    return this.#stats.get(name);
  }

  defineIpSpace(name: string, space: IpSpaceLookup): void {
    if (this.#ipSpaces.has(name)) throw new Error(`the IP space '${name}' is already defined`);
    this.#ipSpaces.set(name, space);
  }
  defineTextBlock(name: string, text: () => string): void {
    if (this.#textBlocks.has(name)) throw new Error(`the text block '${name}' is already defined`);
    this.#textBlocks.set(name, text);
  }
  defineStat(name: string, initial: number, reported = name): StatCounter {
    if (this.#stats.has(name)) throw new Error(`the stat '${name}' is already defined`);
    const previous = this.#previous?.stat(name);
    // A counter kept across a reload keeps its value; a new prefix gives it a new reported name.
    const counter =
      previous === undefined
        ? { name: reported, value: initial }
        : previous.name === reported
          ? previous
          : { name: reported, value: previous.value };
    this.#stats.set(name, counter);
    return counter;
  }
  stats(): readonly StatCounter[] {
    return [...this.#stats.values()];
  }

  /** Runs `dispose` when the resources are disposed (at once if they already are). */
  adopt(dispose: () => void): void {
    if (this.#disposed) dispose();
    else this.#disposers.push(dispose);
  }

  reportReloadError(error: Error, source: ReloadSource): void {
    this.onReloadError?.(error, source);
  }
  reportReload(source: ReloadSource): void {
    this.onReload?.(source);
  }

  /** Stops every file poll. Lookups keep answering with the last contents. */
  dispose(): void {
    this.#disposed = true;
    const disposers = this.#disposers;
    this.#disposers = [];
    for (const dispose of disposers) dispose();
  }
}

export function createRuleResources(options: RuleResourcesOptions = {}): RuleResourceStore {
  return new RuleResourceStore(options);
}
