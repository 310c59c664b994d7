/*
 * debugger.d.ts: the TypeScript declarations of 'hindsight-db/debugger' (debugger/index.js).
 * Hand-written: keep in step with debugger/index.js and debugger/panel.js.
 */
import type { Database, HindsightHistory, HistoryEntry, Commit, AnyQuery, QueryResult, Doc, JsonObject } from './index.js';

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
}

/** The state at the shown seq: rows(name) are the documents of one collection there (as
 *  db.at(seq).rows(name).data; [] when it does not exist), collections the names there. */
export interface SelectedState { seq: number; collections: string[]; rows<T = Doc>(collection: string): T[] }

export interface BlameField { path: string; value: unknown; seq: number; op: 'I' | 'U' | 'D'; time: string | null; cause: JsonObject | null }
export interface BlameResult { rowId: number; deleted: boolean; deletedBy: HistoryEntry | null; doc: Doc; fields: BlameField[]; history: Array<HistoryEntry & { rowId: number }> }
/** Who last set each field of one row (followed by its row id) as it was at `at` (default: the latest commit). */
export declare function blame(db: Database, collection: string, options: { rowId: number; doc?: Doc; at?: number }): BlameResult;
/** Every kept version of one row, oldest first. doc (any version) only narrows the query by its id field. */
export declare function documentHistory(db: Database, collection: string, options: { rowId: number; doc?: Doc; to?: number }): Array<HistoryEntry & { rowId: number }>;

export interface BisectStep { seq: number; holds: boolean; count: number }
export type BisectResult = { seq: number; commit: Commit | null; steps: BisectStep[]; reads: number } | { seq: null; reason: string; steps: BisectStep[]; reads: number };
export type ConditionSpec = { kind: 'changes' } | { kind: 'countAbove' | 'countBelow'; n: number } | { kind: 'contains'; text: string } | { kind: 'empty' } | { kind: 'nonEmpty' };
/** The first commit in (from, to] where condition(result) became true (false at from, true at to), in O(log n) as-of reads. Without a condition: where the result first differs from the result at from. */
export declare function bisect(db: Database, query: AnyQuery, options?: { condition?: ((result: QueryResult, seq: number) => boolean) | null; from?: number; to?: number }): BisectResult;
/** A condition from a plain description; null for 'changes' (bisect's default). */
export declare function conditions(spec?: ConditionSpec): ((result: QueryResult) => boolean) | null;

export interface DebuggerHandle {
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
