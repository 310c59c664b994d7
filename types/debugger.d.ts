/*
 * debugger.d.ts: the TypeScript declarations of 'hindsight-db/debugger' (debugger/index.js).
 * Hand-written: keep in step with debugger/index.js and debugger/panel.js.
 */
import type { Database, DatabaseDict, HindsightHistory } from './index.js';

export interface MountOptions {
  /** Where the panel goes; without it, a fixed overlay toggled by the hotkey (hidden at first). */
  container?: HTMLElement;
  /** The overlay's toggle key, such as "Alt+Shift+D" (the default) or "F9". */
  hotkey?: string;
  title?: string;
  /** Called after each render with the seq shown and the state there (db.at(seq).toDict()). */
  onSelect?: (seq: number, state: DatabaseDict) => void;
  /** ←/→ step and Home/End jump from anywhere on the page but a form field (default false). */
  pageKeys?: boolean;
  /** #seq=N in the address opens that point, and the address follows the selection (default false). */
  hashLink?: boolean;
  /** No revert button (set by openDebugger({ name })). */
  readOnly?: boolean;
}

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
  /** The latest render times in milliseconds. */
  timings(): number[];
  /** Removes the panel (openDebugger's handle also closes the database it opened). */
  destroy(): void | Promise<void>;
}

export declare function mountDebugger(db: Database, options?: MountOptions): DebuggerHandle;
/** { name }: an IndexedDB database of this origin, opened read-only (no writer lock, follows the writers). { history }: an exported history (text or object), imported into memory. */
export declare function openDebugger(source: { name: string } | { history: HindsightHistory | string }, options?: MountOptions): Promise<DebuggerHandle>;
