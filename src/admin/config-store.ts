/**
 * The running config as a document the operator can change: reloaded from its file (SIGHUP, the file
 * watch, `POST /reload`), edited through the admin API, exported as YAML and written back to the file.
 * Every change is a whole new config, loaded and validated exactly like the file, then applied with the
 * target's reload() (one JunctionServer, or every worker of a group); a change that fails leaves the
 * running config, and this document, as they were.
 */
import { copyFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { stringify } from 'yaml';
import {
  configDocument,
  loadConfigIsolated,
  rememberDocument,
  rememberedHash,
  type FleetDocument,
  type IsolatedLoadOptions,
  type JunctionConfig,
} from '../config/index.ts';
import { AdminError, ConfigErrors } from '../errors/index.ts';
import type { ReloadResult } from '../server/index.ts';
import type { AdminTarget } from './admin-target.ts';
import type { ConfigDocument, EditResult } from './document-edits.ts';

export interface ConfigStoreOptions {
  /** The config file: reloads read it, `save()` writes it. Undefined for a config built in code. */
  readonly file?: string | undefined;
  /** Relative names in the config resolve here; default the file's directory, else the cwd. */
  readonly baseDir?: string;
  /** The document the running config was parsed from; default the one remembered for `server.config`. */
  readonly document?: ConfigDocument;
  /** Applied to every config before it is served (the CLI's `--port`). */
  readonly adjust?: (config: JunctionConfig) => JunctionConfig;
  /** How candidates are loaded (the worker's limits; the default resolves listen addresses). */
  readonly load?: IsolatedLoadOptions;
  /** The fleet document the running config was merged from, when this Junction follows a fleet. */
  readonly fleet?: FleetDocument | undefined;
}

/** What a fleet follower shows of itself (GET /fleet, the `fleet` block of GET /status). */
export interface FleetView {
  readonly stale: boolean;
  /** The etcd revision of the fleet document served. */
  readonly revision: number;
}

/** What a change applied, with the new version. */
export interface AppliedChange extends ReloadResult {
  /** Where the config came from: the file, or `<admin>` for an API edit. */
  readonly source: string;
}

export class ConfigStore {
  /** What changes are applied to: one JunctionServer, or a group of workers. */
  readonly server: AdminTarget;
  readonly file: string | undefined;
  readonly #baseDir: string;
  readonly #adjust: (config: JunctionConfig) => JunctionConfig;
  readonly #load: IsolatedLoadOptions;
  #document: ConfigDocument;
  /** The YAML the last save() wrote, so a file watch can tell its own write from an edit. */
  #savedText: string | undefined;
  /** Whether API edits made since the last load from or save to the file. */
  #unsaved = false;
  /** The fleet document in force (merged into every load), when following a fleet. */
  #fleet: FleetDocument | undefined;
  /** The follower's view of itself, once one follows a fleet for this store. */
  #fleetView: (() => FleetView) | undefined;
  /** Told of every reload of the config file that applied (or kept) a config. */
  readonly #fileReloaded: ((change: AppliedChange) => void)[] = [];
  /** Changes run one at a time: each edits the document the previous one left. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(server: AdminTarget, options: ConfigStoreOptions = {}) {
    this.server = server;
    this.file = options.file === undefined ? undefined : resolvePath(options.file);
    this.#baseDir = options.baseDir ?? (this.file === undefined ? process.cwd() : dirname(this.file));
    this.#adjust = options.adjust ?? ((config) => config);
    this.#document = options.document ?? configDocument(server.config) ?? {};
    this.#load = { listenAddresses: 'resolve', ...options.load };
    this.#fleet = options.fleet;
  }

  /** The fleet document in force, if this Junction follows a fleet. */
  get fleetDocument(): FleetDocument | undefined {
    return this.#fleet;
  }

  /** The fleet follower's state, or undefined when this Junction follows no fleet. */
  fleetView(): FleetView | undefined {
    return this.#fleetView?.();
  }

  /** Called once by the fleet follower, so the admin API can show its state. */
  attachFleet(view: () => FleetView): void {
    this.#fleetView = view;
  }

  /** `listener` is told of every reload of the config file that succeeded (the fleet follower's record). */
  onFileReload(listener: (change: AppliedChange) => void): void {
    this.#fileReloaded.push(listener);
  }

  /**
   * Applies a new fleet document, merged with the config file as it is now, through the same path as
   * a reload. Throws ConfigErrors (positions in the file or in the document) or ReloadError; then the
   * running config, and the fleet document in force, stay as they were.
   */
  applyFleet(fleet: FleetDocument): Promise<AppliedChange> {
    return this.#serially(async () => {
      const file = this.#requireFile();
      const config = await loadConfigIsolated(
        { kind: 'fleet', path: file, fleet },
        { ...this.#load, baseDir: this.#baseDir },
      );
      const result = await this.#apply(config);
      this.#fleet = fleet;
      this.#unsaved = false;
      return { ...result, source: fleet.source };
    });
  }

  /** The text the last save() wrote to the file, if any. */
  get savedText(): string | undefined {
    return this.#savedText;
  }

  /** The running config's document (plain data, as YAML would hold it). */
  get document(): ConfigDocument {
    return this.#document;
  }

  /** Whether API changes were applied since the file was last read or written. */
  get unsaved(): boolean {
    return this.#unsaved;
  }

  /** The running config as YAML. */
  exportYaml(): string {
    return stringify(this.#document, { lineWidth: 0 });
  }

  /**
   * Re-reads the config file and applies it. Throws ConfigErrors (file:line:column) for a config that
   * does not validate, ReloadError for one that cannot be applied; the running config keeps serving.
   * `check` sees the loaded config before it is applied (a guarded reload's preview) and may refuse it
   * by throwing.
   */
  reloadFromFile(check?: (config: JunctionConfig) => Promise<void>): Promise<AppliedChange> {
    return this.#serially(async () => {
      const file = this.#requireFile();
      // Read, parsed and validated off the serving thread (a worker), bounded in size, depth and memory.
      // Following a fleet, the file is merged with the fleet document in force.
      const fleet = this.#fleet;
      const config = await loadConfigIsolated(
        fleet === undefined ? { kind: 'file', path: file } : { kind: 'fleet', path: file, fleet },
        { ...this.#load, baseDir: this.#baseDir },
      );
      const result = await this.#apply(config, check);
      this.#unsaved = false;
      const change = { ...result, source: file };
      for (const listener of this.#fileReloaded) listener(change);
      return change;
    });
  }

  /**
   * Applies an edit of the running document. Validation problems become an AdminError whose problems
   * name each field by its path in the document, relative to the edited entry when they lie inside it.
   */
  change(edit: (document: ConfigDocument) => EditResult): Promise<AppliedChange> {
    return this.#serially(async () => {
      this.#refuseUnderFleet();
      const { document, at } = edit(this.#document);
      let config: JunctionConfig;
      try {
        config = await loadConfigIsolated(
          { kind: 'document', json: JSON.stringify(document), source: '<admin>' },
          { ...this.#load, baseDir: this.#baseDir },
        );
      } catch (error) {
        if (error instanceof ConfigErrors) throw invalidChange(error, at);
        throw error;
      }
      const result = await this.#apply(config);
      this.#unsaved = true;
      return { ...result, source: '<admin>' };
    });
  }

  /**
   * Writes the running config to the file: to a temporary file beside it, then renamed over it, so a
   * crash never leaves half a file; the previous file is kept as `FILE.bak`. Comments in the file are
   * not kept (the YAML is the running config's document).
   */
  save(): Promise<{ file: string; backup: string }> {
    return this.#serially(async () => {
      this.#refuseUnderFleet();
      const file = this.#requireFile();
      const backup = `${file}.bak`;
      const temporary = `${file}.${process.pid}.tmp`;
      const text = this.exportYaml();
      await writeFile(temporary, text, { mode: 0o600 });
      this.#savedText = text;
      await copyFile(file, backup).catch(() => undefined);
      await rename(temporary, file);
      this.#unsaved = false;
      return { file, backup };
    });
  }

  async #apply(
    config: JunctionConfig,
    check?: (config: JunctionConfig) => Promise<void>,
  ): Promise<ReloadResult> {
    const adjusted = this.#adjust(config);
    if (check !== undefined) {
      try {
        await check(adjusted);
      } catch (error) {
        // Refused before it was applied: nothing else holds its compiled rules.
        config.rules?.dispose();
        throw error;
      }
    }
    // The copy keeps the hash computed where the config was loaded: hashing it here would cost the
    // serving thread time in proportion to the config.
    const hash = rememberedHash(config);
    const document = configDocument(config);
    if (adjusted !== config && hash !== undefined && document !== undefined) {
      rememberDocument(adjusted, document, hash);
    }
    const result = await this.server.reload(adjusted);
    this.#document = configDocument(config) ?? this.#document;
    return result;
  }

  /** The running document is the file and the fleet's merged: an edit or a save would blur which is which. */
  #refuseUnderFleet(): void {
    if (this.#fleet === undefined) return;
    throw new AdminError(
      'JCT_ERR_ADMIN_BAD_REQUEST',
      `this Junction follows the fleet document ${this.#fleet.source}: change it there (junction ctl fleet apply), or the config file and reload`,
    );
  }

  #requireFile(): string {
    if (this.file === undefined) {
      throw new AdminError('JCT_ERR_ADMIN_BAD_REQUEST', 'this Junction was not started from a config file');
    }
    return this.file;
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** ConfigErrors for an edited document → one AdminError naming fields by document path. */
function invalidChange(errors: ConfigErrors, at: string | undefined): AdminError {
  const problems = errors.errors.map((error) => {
    const path = error.at?.keyPath ?? '';
    const inside =
      at !== undefined && (path === at || path.startsWith(`${at}.`) || path.startsWith(`${at}[`));
    const field = inside ? path.slice(at.length).replace(/^\./, '') : path;
    return {
      field: inside ? `body${field === '' ? '' : field.startsWith('[') ? field : `.${field}`}` : path,
      message: error.problem,
    };
  });
  return new AdminError(
    'JCT_ERR_ADMIN_BAD_REQUEST',
    `the change does not validate: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems,
  );
}
