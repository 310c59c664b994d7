/*
 * debugger.d.ts: the TypeScript declarations of 'hindsight-db/debugger' (debugger/index.js).
 * Hand-written: keep in step with debugger/index.js and debugger/panel.js.
 */
import type { Database, HindsightHistory, HistoryEntry, AnyQuery, QueryResult, Doc, BlameOptions, BlameResult, BisectOptions, BisectResult, BisectConditionSpec } from './index.js';

export interface MountOptions {
  /** Where the panel goes; without it, a fixed overlay toggled by the hotkey (hidden at first). */
  container?: HTMLElement;
  /** The overlay's toggle key, such as "Alt+Shift+D" (the default) or "F9". */
  hotkey?: string;
  title?: string;
  /** Called after each render with the seq shown and the state there, read lazily. */
  onSelect?: (seq: number, state: SelectedState) => void;
  /** ←/→ step and Home/End jump from anywhere on the page but a form field (default false). */
  pageKeys?: boolean;
  /** #seq=N in the address opens that point, and the address follows the selection (default false). */
  hashLink?: boolean;
  /** Re-read the shown collection at every step instead of applying diffs (slower; the bench's peer). */
  rereadRows?: boolean;
  /** No revert button (set by openDebugger({ name })). */
  readOnly?: boolean;
  /** A sync client (or anything with its commitStatus and subscribeCommitStatus): the commit
   *  list marks each commit pending / acknowledged / rebased, and the card shows its origin
   *  and base. The debugger never imports sync/. */
  sync?: DebuggerSyncSource;
}

/** What the debugger reads from a sync client (SyncClient from 'hindsight-db/sync' is one). */
export interface DebuggerSyncSource {
  commitStatus(id: string): { status: 'pending' | 'acknowledged' | 'rebased'; serverSeq?: number; base: number | null; origin: string | null } | null;
  subscribeCommitStatus(listener: () => void): () => void;
}

/** The state at the shown seq: rows(name) are the documents of one collection there (as
 *  db.at(seq).rows(name).data; [] when it does not exist), collections the names there. */
export interface SelectedState { seq: number; collections: string[]; rows<T = Doc>(collection: string): T[] }

/** Doors to db.blame (js/blame.js), kept for code written against this entry. */
export declare function blame(db: Database, collection: string, options: BlameOptions): BlameResult;
/** Every kept version of one row up to `to`, oldest first ([] when none is kept); db.blame(...).history. */
export declare function documentHistory(db: Database, collection: string, options: { rowId: number; doc?: Doc; to?: number }): Array<HistoryEntry & { rowId: number }>;
/** Door to db.bisect (js/bisect.js). */
export declare function bisect(db: Database, query: AnyQuery, options?: BisectOptions): BisectResult;
/** bisectCondition of the main entry, under the name this entry gave it first. */
export declare function conditions(spec?: BisectConditionSpec): ((result: QueryResult) => boolean) | null;
/** @deprecated the main entry's BisectConditionSpec. */
export type ConditionSpec = BisectConditionSpec;
export type { BlameField, BlameResult, BisectStep, BisectResult } from './index.js';

export interface DebuggerHandle {
  /** Resolves when the whole commit list has been read (it is read in chunks after the first paint). */
  commitsLoaded(): Promise<void>;
  readonly element: HTMLElement;
  readonly db: Database;
  /** The overlay element, or null when mounted in a container. */
  readonly overlay: HTMLElement | null;
  /** The seq shown. */
  readonly seq: number;
  /** The latest seq the panel knows of. */
  readonly head: number;
  readonly playing: boolean;
  /** The database of the last "Fork at this point" or opened history file, or null. */
  readonly forked: Database | null;
  select(seq: number): void;
  render(): void;
  /** Downloads the history file and returns its text (null on failure, shown in the panel). */
  exportHistory(): string | null;
  fork(): Database | null;
  /** Reverts to the shown seq as one new commit; asks with confirm() unless confirmed. */
  revert(options?: { confirmed?: boolean }): number | null;
  /** Undo / redo (db.undo / db.redo) as one new commit signed by the debugger; null when there is nothing to take back or on failure. */
  undo(): number | null;
  redo(): number | null;
  /** Re-reads the storage line now: db.stats(), the browser's estimate and persistence state (it refreshes by itself after commits). */
  refreshStorage(): Promise<void>;
  togglePlay(): void;
  /** Opens an exported history file in memory, shown in a nested panel (what the file button and a drop do). */
  openHistoryFile(file: Blob & { name: string }): Promise<Database | null>;
  toggle(show?: boolean): void;
  /** The shown collection at the shown seq as the panel holds it (copies); equals db.at(seq).rows(collection). */
  state(): { seq: number; collection: string | null; rowIds: number[]; data: Doc[] };
  /** Compares two points (what the Compare button does); null on bad input (shown in the panel). */
  compare(a?: number, b?: number): import('./index.js').Diff | null;
  /** Runs bisect with the form's query and condition (what the Bisect button does). */
  bisect(): BisectResult | null;
  /** Opens the story (blame, history) of one row. */
  openDocument(collection: string, rowId: number, deleted?: boolean): BlameResult | null;
  /** The latest render times in milliseconds. */
  timings(): number[];
  /** Removes the panel (openDebugger's handle also closes the database it opened). */
  destroy(): void | Promise<void>;
}

export declare function mountDebugger(db: Database, options?: MountOptions): DebuggerHandle;
/** { name }: an IndexedDB database of this origin, opened read-only (no writer lock, follows the writers). { history }: an exported history (text or object), imported into memory. */
export declare function openDebugger(source: { name: string } | { history: HindsightHistory | string }, options?: MountOptions): Promise<DebuggerHandle>;
