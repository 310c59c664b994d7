/*
 * index.d.ts: the TypeScript declarations of the main entry 'hindsight-db' (index.js: the
 * runtime-agnostic API of js/index.js plus the IndexedDB store). Hand-written: keep in step
 * with js/ when a public name or option changes; tests/package/ checks them with tsc --strict
 * on a typed consumer (moduleResolution bundler and nodenext).
 */

/* ---------- JSON and documents ---------- */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
/** A document: any JSON object. Results are generic over it. */
export type Doc = Record<string, unknown>;

/* ---------- errors ---------- */

export declare const ErrorCode: Readonly<{
  CLOSED: 'CLOSED';
  INVALID_ARGUMENT: 'INVALID_ARGUMENT';
  TOO_OLD: 'TOO_OLD';
  QUOTA: 'QUOTA';
  CORRUPT: 'CORRUPT';
  LOCKED: 'LOCKED';
  WASM_LOAD: 'WASM_LOAD';
  NOMEM: 'NOMEM';
  INTERNAL: 'INTERNAL';
}>;
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

export declare class HindsightError extends Error {
  constructor(code: ErrorCodeName, message: string, options?: { cause?: unknown });
  readonly name: 'HindsightError';
  readonly code: ErrorCodeName;
}

/* ---------- enums ---------- */

export type QueryType =
  | 'add' | 'update' | 'updateOne' | 'delete' | 'deleteOne' | 'search' | 'searchOne' | 'getAll'
  | 'conformToTemplate' | 'renameField' | 'count' | 'clear' | 'clearAdd' | 'removeCollection' | 'merge';
export type ValueType =
  | 'auto_' | 'datetime_' | 'int_' | 'floatStrict_' | 'floatEpsilon12_' | 'boolean_' | 'string_' | 'stringIgnoreCase_';
export type NodeType =
  | 'and_' | 'or_' | 'not_' | 'equals_' | 'notEquals_' | 'greaterThan_' | 'lessThan_' | 'greaterThanOrEqual_'
  | 'lessThanOrEqual_' | 'regex_' | 'contains_' | 'in_' | 'notIn_' | 'startsWith_' | 'endsWith_';
export type ActorType = 'human' | 'ai' | 'system';

export declare const EnumQueryType: Readonly<{ [K in QueryType]: K }>;
export declare const EnumValueType: Readonly<{ [K in ValueType]: K }>;
export declare const EnumNodeType: Readonly<{ [K in NodeType]: K }>;
export declare const EnumActorType: Readonly<{ [K in ActorType]: K }>;

export declare const MAX_JSON_DEPTH: number;
export declare function copyJsonable<T>(value: T, where?: string, name?: string): T;

/* ---------- query nodes ---------- */

export interface QueryNodeDict { type: NodeType; [key: string]: unknown }

export declare abstract class QueryNode {
  toDict(): QueryNodeDict;
  toJSON(): QueryNodeDict;
  static fromDict(dict: QueryNodeDict): QueryNode;
}
declare abstract class ValueTypedNode extends QueryNode {
  constructor(field: string, value: JsonValue | Date, options?: { vType?: ValueType });
  readonly field: string;
  readonly value: JsonValue | Date;
  readonly vType: ValueType;
}
export declare class FieldEquals extends ValueTypedNode {}
export declare class FieldNotEquals extends ValueTypedNode {}
export declare class FieldGreaterThan extends ValueTypedNode {}
export declare class FieldLessThan extends ValueTypedNode {}
export declare class FieldGreaterThanOrEqual extends ValueTypedNode {}
export declare class FieldLessThanOrEqual extends ValueTypedNode {}
export declare class FieldMatchesRegex extends QueryNode {
  constructor(field: string, pattern: string | RegExp);
  readonly field: string;
}
export declare class FieldContains extends QueryNode {
  constructor(field: string, value: JsonValue);
  readonly field: string;
}
export declare class FieldIn extends QueryNode {
  constructor(field: string, values: JsonValue[]);
  readonly field: string;
  readonly values: JsonValue[];
}
export declare class FieldNotIn extends FieldIn {}
export declare class FieldStartsWith extends QueryNode {
  constructor(field: string, value: string);
  readonly field: string;
  readonly value: string;
}
export declare class FieldEndsWith extends FieldStartsWith {}
export declare class AndNode extends QueryNode {
  constructor(conditions: Array<QueryNode | QueryNodeDict>);
  readonly conditions: QueryNode[];
}
export declare class OrNode extends AndNode {}
export declare class NotNode extends QueryNode {
  constructor(condition: QueryNode | QueryNodeDict);
  readonly condition: QueryNode;
}

/* ---------- sorts ---------- */

export interface SortDict { className: string; [key: string]: unknown }
export declare abstract class AbstractSort {
  toDict(): SortDict;
  toJSON(): SortDict;
  static fromDict(dict: SortDict): AbstractSort;
}
export declare class SingleSort extends AbstractSort {
  constructor(field: string, options?: { reversed?: boolean; vType?: ValueType });
  readonly field: string;
  readonly reversed: boolean;
  readonly vType: ValueType;
}
export declare class MultiSort extends AbstractSort {
  constructor(sortOrders: Array<SingleSort | SortDict>);
  readonly sortOrders: SingleSort[];
}

/* ---------- who, when, why ---------- */

export interface PermissionDict { className?: string; version?: string; allows: QueryType[] }
export declare class Permission {
  constructor(allows: QueryType[]);
  readonly allows: QueryType[];
  toDict(): PermissionDict;
  toJSON(): PermissionDict;
  static fromDict(dict: PermissionDict): Permission;
}
export type CollectionPermissions = Record<string, Permission | PermissionDict>;

export interface ActorOptions {
  type: ActorType;
  id: string;
  collectionPermissions?: CollectionPermissions | null;
  context?: JsonObject | null;
  name?: string | null;
  email?: string | null;
  createdAt?: Date | string;
  updatedAt?: Date | string;
  lastAccess?: Date | string | null;
  lastAccessDay?: Date | string | null;
  operationInDay?: number | null;
  deviceIds?: string[] | null;
}
export declare class Actor {
  constructor(options: ActorOptions);
  readonly type: ActorType;
  readonly id: string;
  readonly name: string | null;
  toDict(): JsonObject;
  toJSON(): JsonObject;
  static fromDict(dict: JsonObject): Actor;
}

export declare class TimestampNode {
  constructor(options: { timestamp: Date | string; location: string; context?: JsonObject });
  readonly timestamp: Date;
  readonly location: string;
  toDict(): JsonObject;
  toJSON(): JsonObject;
  static fromDict(dict: JsonObject): TimestampNode;
}
export declare class TemporalTrace {
  constructor(options?: { nodes?: Array<TimestampNode | JsonObject> });
  readonly nodes: TimestampNode[];
  toDict(): JsonObject;
  toJSON(): JsonObject;
  static fromDict(dict: JsonObject): TemporalTrace;
}

export interface CauseOptions {
  who: Actor | JsonObject;
  when: TemporalTrace | JsonObject;
  what: string;
  why: string;
  from: string;
  serial?: string | null;
  chainParentSerial?: string | null;
  context?: JsonObject | null;
  confidenceScore?: number;
}
export declare class Cause {
  constructor(options: CauseOptions);
  readonly who: Actor;
  readonly when: TemporalTrace;
  readonly what: string;
  readonly why: string;
  readonly from: string;
  toDict(): JsonObject;
  toJSON(): JsonObject;
  static fromDict(dict: JsonObject): Cause;
}

/* ---------- queries ---------- */

export interface MergeQueryParamsOptions {
  base: string;
  source: string[];
  relationKey: string;
  sourceKeys: string[];
  dslTmp: JsonObject;
  output: string;
  serialBase?: string | null;
  serialKey?: string | null;
}
export declare class MergeQueryParams {
  constructor(options: MergeQueryParamsOptions);
  readonly base: string;
  readonly output: string;
  toDict(): JsonObject;
  toJSON(): JsonObject;
  static fromDict(dict: JsonObject): MergeQueryParams;
}

/** A Query dict as build() makes it (DeltaTraceDB's wire format). */
export interface QueryDict {
  className: 'Query';
  version: string;
  target: string;
  type: QueryType;
  [key: string]: unknown;
}
export interface TransactionQueryDict { className: 'TransactionQuery'; version: string; queries: QueryDict[] }

type NodeArg = QueryNode | QueryNodeDict;
type SortArg = AbstractSort | SortDict;
type CauseArg = Cause | JsonObject;
interface Paging { sortObj?: SortArg; offset?: number; startAfter?: JsonObject; endBefore?: JsonObject; limit?: number }
interface Common { target: string; cause?: CauseArg | null }
interface Writes { returnData?: boolean; mustAffectAtLeastOne?: boolean }

export declare const QUERY_KEYS: readonly string[];

export declare class QueryBuilder {
  protected constructor(type: QueryType, options: object);
  readonly type: QueryType;
  readonly target: string;
  static add<T extends object = Doc>(options: Common & Writes & { addData: T[]; serialKey?: string }): QueryBuilder;
  static update(options: Common & Writes & { queryNode: NodeArg; overrideData: JsonObject; sortObj?: SortArg }): QueryBuilder;
  static updateOne(options: Common & Writes & { queryNode: NodeArg; overrideData: JsonObject }): QueryBuilder;
  static delete(options: Common & Writes & { queryNode: NodeArg; sortObj?: SortArg }): QueryBuilder;
  static deleteOne(options: Common & Writes & { queryNode: NodeArg }): QueryBuilder;
  static search(options: Common & Paging & { queryNode: NodeArg }): QueryBuilder;
  static searchOne(options: Common & { queryNode: NodeArg }): QueryBuilder;
  static getAll(options: Common & Paging): QueryBuilder;
  static conformToTemplate(options: Common & { template: JsonObject; mustAffectAtLeastOne?: boolean }): QueryBuilder;
  static renameField(options: Common & Writes & { renameBefore: string; renameAfter: string }): QueryBuilder;
  static count(options: Common): QueryBuilder;
  static clear(options: Common & { mustAffectAtLeastOne?: boolean; resetSerial?: boolean }): QueryBuilder;
  static clearAdd<T extends object = Doc>(options: Common & Writes & { addData: T[]; serialKey?: string; resetSerial?: boolean }): QueryBuilder;
  static removeCollection(options: Common & { mustAffectAtLeastOne?: boolean }): QueryBuilder;
  static merge(options: { mergeQueryParams: MergeQueryParams | MergeQueryParamsOptions; mustAffectAtLeastOne?: boolean; cause?: CauseArg | null }): QueryBuilder;
  setOffset(offset: number | null): this;
  setStartAfter(startAfter: JsonObject | null): this;
  setEndBefore(endBefore: JsonObject | null): this;
  setLimit(limit: number | null): this;
  build(): QueryDict;
  toJSON(): QueryDict;
}
/** As QueryBuilder, but documents are added as given ('rawAddData' instead of 'addData'). */
export declare class RawQueryBuilder {
  protected constructor(type: QueryType, options: object);
  readonly type: QueryType;
  readonly target: string;
  static add<T extends object = Doc>(options: Common & Writes & { rawAddData: T[]; serialKey?: string }): RawQueryBuilder;
  static update(options: Common & Writes & { queryNode: NodeArg; overrideData: JsonObject; sortObj?: SortArg }): RawQueryBuilder;
  static updateOne(options: Common & Writes & { queryNode: NodeArg; overrideData: JsonObject }): RawQueryBuilder;
  static delete(options: Common & Writes & { queryNode: NodeArg; sortObj?: SortArg }): RawQueryBuilder;
  static deleteOne(options: Common & Writes & { queryNode: NodeArg }): RawQueryBuilder;
  static search(options: Common & Paging & { queryNode: NodeArg }): RawQueryBuilder;
  static searchOne(options: Common & { queryNode: NodeArg }): RawQueryBuilder;
  static getAll(options: Common & Paging): RawQueryBuilder;
  static conformToTemplate(options: Common & { template: JsonObject; mustAffectAtLeastOne?: boolean }): RawQueryBuilder;
  static renameField(options: Common & Writes & { renameBefore: string; renameAfter: string }): RawQueryBuilder;
  static count(options: Common): RawQueryBuilder;
  static clear(options: Common & { mustAffectAtLeastOne?: boolean; resetSerial?: boolean }): RawQueryBuilder;
  static clearAdd<T extends object = Doc>(options: Common & Writes & { rawAddData: T[]; serialKey?: string; resetSerial?: boolean }): RawQueryBuilder;
  static removeCollection(options: Common & { mustAffectAtLeastOne?: boolean }): RawQueryBuilder;
  static merge(options: { mergeQueryParams: MergeQueryParams | MergeQueryParamsOptions; mustAffectAtLeastOne?: boolean; cause?: CauseArg | null }): RawQueryBuilder;
  setOffset(offset: number | null): this;
  setStartAfter(startAfter: JsonObject | null): this;
  setEndBefore(endBefore: JsonObject | null): this;
  setLimit(limit: number | null): this;
  build(): QueryDict;
  toJSON(): QueryDict;
}
export declare class TransactionQuery {
  constructor(options: { queries: Array<QueryDict | QueryBuilder | RawQueryBuilder> });
  readonly queries: QueryDict[];
  toDict(): TransactionQueryDict;
  toJSON(): TransactionQueryDict;
  static fromDict(dict: TransactionQueryDict): TransactionQuery;
}

export type AnyQuery = QueryDict | QueryBuilder | RawQueryBuilder;
export type AnyTransaction = TransactionQuery | TransactionQueryDict;

/* ---------- results ---------- */

/** DeltaTraceDB's QueryResult: result holds documents of type T. */
export interface QueryResult<T = Doc> {
  className: 'QueryResult';
  version: string;
  isSuccess: boolean;
  target: string;
  type: QueryType | string;
  result: T[];
  dbLength: number;
  updateCount: number;
  hitCount: number;
  errorMessage: string | null;
}
export interface TransactionQueryResult<T = Doc> {
  className: 'TransactionQueryResult';
  version: string;
  isSuccess: boolean;
  results: QueryResult<T>[];
  errorMessage: string | null;
}

/* ---------- time travel ---------- */

/** A point in history: a seq, a Date, or an ISO 8601 time (the last commit at or before it). */
export type Point = number | Date | string;

export interface Commit {
  seq: number;
  /** ISO 8601 UTC */
  time: string;
  cause: JsonObject | null;
  query: JsonObject;
}
export interface HistoryEntry<T = Doc> {
  seq: number;
  time: string | null;
  op: 'I' | 'U' | 'D';
  doc: T;
  cause: JsonObject | null;
}

/* ---------- blame and bisect (js/blame.js, js/bisect.js) ---------- */

export interface BlameOptions { rowId: number; doc?: Doc; at?: number }
export interface BlameField { path: string; value: unknown; seq: number; op: 'I' | 'U' | 'D'; time: string | null; cause: JsonObject | null }
export interface BlameResult { rowId: number; deleted: boolean; deletedBy: HistoryEntry | null; doc: Doc; fields: BlameField[]; history: Array<HistoryEntry & { rowId: number }> }
export interface BisectStep { seq: number; holds: boolean; count: number }
export type BisectResult = { seq: number; commit: Commit | null; steps: BisectStep[]; reads: number } | { seq: null; reason: string; steps: BisectStep[]; reads: number };
export type BisectConditionSpec = { kind: 'changes' } | { kind: 'countAbove' | 'countBelow'; n: number } | { kind: 'contains'; text: string } | { kind: 'empty' } | { kind: 'nonEmpty' };
export interface BisectOptions { condition?: ((result: QueryResult, seq: number) => boolean) | BisectConditionSpec | null; from?: number; to?: number }
/** A bisect condition from a plain description; null for 'changes' (bisect's default). */
export declare function bisectCondition(spec?: BisectConditionSpec): ((result: QueryResult) => boolean) | null;
/** The changed JSON paths between two versions of a document (leaf-most; a type change is one entry). */
export declare function pathDiff(before: unknown, after: unknown): Array<{ path: Array<string | number>; before: unknown; after: unknown }>;
/** ["meta", "tags", 1] -> "meta.tags[1]"; [] -> "(whole document)". */
export declare function formatPath(path: Array<string | number>): string;
export interface CollectionDiff<T = Doc> {
  added: T[];
  removed: T[];
  changed: Array<{ before: T; after: T; rowId: number }>;
  /** The engine's row ids of added and removed, in the same order (see DatabaseView.rows). */
  addedIds: number[];
  removedIds: number[];
}
export type Diff<T = Doc> = Record<string, CollectionDiff<T>>;

/** A read-only view of the state at one seq (Database.at). Retention keeps its seq readable
 *  until release() (or until the view is garbage-collected); reads after release throw CLOSED. */
export interface DatabaseView {
  readonly seq: number;
  executeQuery<T = Doc>(query: AnyQuery): QueryResult<T>;
  toDict(): DatabaseDict;
  /** One collection with the engine's row ids (ascending; data in toDict order), so rows can be
   *  followed by identity through diff's rowId / addedIds / removedIds. rowIds and data are null
   *  when the collection does not exist at this seq; rows(null) gives only the names. */
  rows<T = Doc>(collection: string | null): CollectionRows<T>;
  release(): void;
}
export interface CollectionRows<T = Doc> { collections: string[]; rowIds: number[] | null; data: T[] | null }

/** A DeltaTraceDatabase dict (toDict / fromDict). */
export interface DatabaseDict { className: string; version: string; collections: Record<string, JsonObject>; [key: string]: unknown }
/** db.exportHistory(): the state at the oldest kept commit and every commit after it. */
export interface HindsightHistory { className: 'HindsightHistory'; version: string; base: JsonObject; commits: Commit[]; [key: string]: unknown }

export interface DatabaseStats {
  seq: number;
  oldestSeq: number;
  commits: number;
  versions: number;
  historyBytes: number;
  durableSeq: number;
  storageWarnings: string[];
}

/* ---------- stores ---------- */

export interface StoreRecord { seq: number; text: string }
/** A snapshot as text; a store whose takesSnapshotBytes is true may get and give back its UTF-8 bytes instead. */
export interface StoreSnapshot { seq: number; text?: string; bytes?: Uint8Array }
/** What a store's open() gives back: the newest snapshot (if any) and the records after it. */
export interface StoreOpened { snapshot: StoreSnapshot | null; records: StoreRecord[]; warnings?: string[] }
/** The store interface (js/stores/store.js): implement it to persist somewhere else. */
export interface Store {
  open(): Promise<StoreOpened>;
  append(records: StoreRecord[]): Promise<void>;
  writeSnapshot(snapshot: StoreSnapshot): Promise<void>;
  close(): Promise<void>;
  /** The records after seq; with the snapshot when they no longer reach back to seq. */
  readSince?(seq: number): Promise<{ snapshot: StoreSnapshot | null; records: StoreRecord[] }>;
  estimate?(): Promise<{ usage?: number; quota?: number } | null>;
  persist?(): Promise<boolean>;
  /** True: writeSnapshot may be given { seq, bytes } (UTF-8) instead of { seq, text }. */
  readonly takesSnapshotBytes?: boolean;
}
export declare class MemoryStore implements Store {
  constructor();
  open(): Promise<StoreOpened>;
  append(records: StoreRecord[]): Promise<void>;
  writeSnapshot(snapshot: StoreSnapshot): Promise<void>;
  readSince(seq: number): Promise<{ snapshot: StoreSnapshot | null; records: StoreRecord[] }>;
  close(): Promise<void>;
}
export declare function checkStore<S extends Store>(value: S): S;

/** The browser's store: a log and snapshots in IndexedDB. */
export declare class IndexedDbStore implements Store {
  constructor(options: { name: string; durability?: 'strict' | 'relaxed' | 'default'; indexedDB?: IDBFactory | unknown });
  readonly takesSnapshotBytes: true;
  open(): Promise<StoreOpened>;
  append(records: StoreRecord[]): Promise<void>;
  writeSnapshot(snapshot: StoreSnapshot): Promise<void>;
  readSince(seq: number): Promise<{ snapshot: StoreSnapshot | null; records: StoreRecord[] }>;
  close(): Promise<void>;
  estimate(): Promise<{ usage?: number; quota?: number } | null>;
  persist(): Promise<boolean>;
}
/** True when error (or an error it wraps) means the browser's storage quota is full. */
export declare function isQuotaError(error: unknown): boolean;

/** Makes Database.open({ storage: kind }) create a store with factory (what the package entries do). */
export declare function registerStorage(
  kind: string,
  factory: (options: OpenOptions) => Store | Promise<Store>,
  options?: { available?: () => boolean },
): void;
export declare function registerFolderBackupTarget(factory: (path: string) => BackupTarget): void;

/* ---------- the database ---------- */

/** Where the wasm comes from, when the runtime cannot find it (workerd, esbuild without a copy). */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | URL | string;

export interface OpenOptions {
  /** With no storage: IndexedDB wherever globalThis.indexedDB exists; an error elsewhere. */
  name?: string;
  /** 'memory', 'indexeddb', 'file' (Node, through 'hindsight-db/node'), or a store object. */
  storage?: 'memory' | 'indexeddb' | 'file' | (string & {}) | Store;
  /** The folder of the file store. */
  path?: string;
  durability?: 'strict' | 'relaxed' | 'default';
  wasm?: WasmSource;
  /** The time given to commits, in milliseconds (default Date.now). */
  clock?: () => number;
  snapshotEvery?: number;
  snapshotBytes?: number;
  /** Several tabs on one IndexedDB database coordinate through Web Locks unless false. */
  shared?: boolean;
  locks?: unknown;
  onError?: (error: HindsightError) => void;
  onWarning?: (warning: string) => void;
  onListenerError?: (error: unknown) => void;
  /** After each multi-tab (or sync) rebase: this page's unwritten commits put back on top of
   *  the shared history (kept, with their new seqs) and those that no longer applied (dropped). */
  onRebase?: (report: RebaseReport) => void;
}

export interface RebaseReport {
  /** The seq of the shared history the commits were replayed on. */
  sharedSeq: number;
  kept: { id: string; seq: number }[];
  dropped: { id: string; seq: number; reason: string }[];
}

export type Listener = (seq: number) => void;

/** One change-feed report. rebased: a multi-tab rebase's rewind (changes take this tab's
 *  unwritten commits back; seq is the shared point) or, with changes null, a reset. */
export interface ChangeInfo {
  seq: number;
  id: string | null;
  rebased?: boolean;
  changes: { [collection: string]: { added: number[]; removed: number[]; changed: number[] } } | null;
}
export interface LiveSnapshot<T = Doc> { seq: number; result: QueryResult<T>; rows: { id: number | null; doc: T }[] }
export interface LiveDelta<T = Doc> {
  added: { id: number | null; index: number; doc: T }[];
  removed: { id: number | null; from: number }[];
  changed: { id: number; from: number; doc: T }[];
  moved: { id: number; from: number; index: number }[];
}
export interface LiveQuery<T = Doc> {
  getSnapshot(): LiveSnapshot<T>;
  subscribe(fn: (snapshot: LiveSnapshot<T>) => void): () => void;
  unsubscribe(): void;
}

export declare class Database {
  private constructor();
  static open(options?: OpenOptions): Promise<Database>;
  static fromDict(dict: DatabaseDict, options?: OpenOptions): Promise<Database>;
  static fromJSONText(text: string, options?: OpenOptions): Promise<Database>;
  static importHistory(history: HindsightHistory, options?: OpenOptions): Promise<Database>;

  readonly seq: number;
  readonly closed: boolean;

  executeQuery<T = Doc>(query: AnyQuery): QueryResult<T>;
  executeQuery<T = Doc>(query: AnyTransaction): TransactionQueryResult<T>;
  executeQueryObject<T = Doc>(query: AnyQuery, collectionPermissions?: CollectionPermissions | null): QueryResult<T>;
  executeQueryObject<T = Doc>(query: AnyTransaction, collectionPermissions?: CollectionPermissions | null): TransactionQueryResult<T>;

  addListener(target: string, callback: Listener, name?: string): void;
  removeListener(target: string, callback?: Listener, name?: string): void;

  toDict(): DatabaseDict;
  toJSONText(): string;

  commits(range?: { from?: number; to?: number; limit?: number; collectionPermissions?: CollectionPermissions | null }): Commit[];
  /** The change feed: fn after every commit; returns the unsubscribe function. */
  subscribeChanges(fn: (info: ChangeInfo) => void): () => void;
  changes(range?: { since?: number; until?: number }): ChangeInfo[];
  /** A live query: onChange now and after every commit that changes the result. */
  live<T = Doc>(query: AnyQuery, onChange?: (snapshot: LiveSnapshot<T>, delta: LiveDelta<T>) => void,
    options?: { collectionPermissions?: CollectionPermissions | null }): LiveQuery<T>;
  /** Declares an index on field of target; kept across reopen. */
  createIndex(target: string, field: string): Promise<boolean>;
  /** The plan a read query would run with now, without running it. */
  explain(query: AnyQuery): { plan: 'scan' | 'equalityIndex' | 'rangeIndex' | 'columns' | 'none'; field: string | null; asOf: boolean; sort: 'none' | 'all' | 'topK' | 'index'; k?: number };
  at(point: Point): DatabaseView;
  history<T = Doc>(target: string, queryNode?: NodeArg | null, range?: { from?: number; to?: number }): HistoryEntry<T>[];
  diff<T = Doc>(from: Point, to: Point): Diff<T>;
  /** Who last set each field of one row (followed by its row id) as it was at `at` (default: now), with the row's kept versions. */
  blame(collection: string, options: BlameOptions): BlameResult;
  /** The first commit in (from, to] where the condition on query's result became true (false at from, true at to), in O(log n) as-of reads. Without a condition: where the result first differs from the one at from. */
  bisect(query: AnyQuery, options?: BisectOptions): BisectResult;
  revertTo(point: Point, cause?: CauseArg): number;
  undo(cause?: CauseArg): number | null;
  redo(cause?: CauseArg): number | null;
  fork(point: Point): Database;
  exportHistory(): HindsightHistory;
  setRetention(policy: { maxCommits?: number; maxAgeMs?: number }): void;

  stats(): DatabaseStats;
  memoryUsage(options?: { parts?: boolean }): {
    heapUsed: number; wasmMemory: number;
    /** With { parts: true }: payload bytes by part (allocator overhead not included). */
    parts?: Record<'currentDocuments' | 'pastDocuments' | 'versionNodes' | 'rowTables' | 'changeLog' | 'commitTable' | 'commitIds' | 'commitCauses' | 'commitQueries' | 'commitRefs' | 'commitTemplates' | 'blocks', number>;
  };
  storageEstimate(): Promise<{ usage?: number; quota?: number } | null>;
  requestPersistence(): Promise<boolean>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/* ---------- backups ---------- */

export interface BackupTarget {
  writeFile(name: string, text: string): Promise<void>;
  readFile(name: string): Promise<string | null>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}
export declare class MemoryBackupTarget implements BackupTarget {
  constructor(initial?: Map<string, string> | Record<string, string>);
  readonly files: Map<string, string>;
  writeFile(name: string, text: string): Promise<void>;
  readFile(name: string): Promise<string | null>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}
export declare class DownloadBackupTarget implements BackupTarget {
  constructor(options?: { document?: unknown; URL?: unknown; Blob?: unknown; setTimeout?: unknown; revokeAfterMs?: number });
  writeFile(name: string, text: string): Promise<void>;
  readFile(name: string): Promise<string | null>;
  list(): Promise<string[]>;
  remove(name: string): Promise<void>;
}
/** One file of a backup, as the manifest lists it. */
export interface BackupFileEntry {
  name: string;
  kind: 'full' | 'delta';
  fromSeq: number;
  toSeq: number;
  bytes: number;
  crc32: string;
  chain: string;
  time: string;
}
export interface BackupOptions {
  /** A target object, or (Node, 'hindsight-db/node') a folder path. */
  target: BackupTarget | string;
  intervalMs?: number;
  minIntervalMs?: number;
  incremental?: boolean;
  maxDeltasBeforeFull?: number;
  keepFull?: number;
  onBackupFailure?: (error: unknown, consecutiveFailures: number) => void;
  unrefTimers?: boolean;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
}
export declare class BackupManager {
  constructor(db: Database, options: BackupOptions);
  /** Resolve to the manifest entry written, or null when nothing changed since the last backup. */
  backupNow(): Promise<BackupFileEntry | null>;
  backupFull(): Promise<BackupFileEntry | null>;
  backupDelta(): Promise<BackupFileEntry | null>;
  notifyChange(): void;
  start(): void;
  stop(options?: { finalBackup?: boolean }): Promise<void>;
  idle(): Promise<void>;
}
export declare function restoreBackup(source: BackupTarget | string, options?: OpenOptions & { toSeq?: number }): Promise<Database>;
