#!/usr/bin/env node
/*
 * cli.js: the `hindsight` command (package.json "bin"), over a Node file-store folder or an
 * exported history file (db.exportHistory() as JSON).
 *
 *   hindsight query DB 'QUERY JSON'        run a read query (or, with --write, any query)
 *   hindsight log DB [--from S] [--to S]   the commits: seq, time, cause, query type and target
 *   hindsight at DB POINT 'QUERY JSON'     a read query as of POINT (a seq or an ISO time)
 *   hindsight diff DB A B                  what changed between two points
 *   hindsight history DB COLLECTION ['NODE JSON']   every version of the matching documents
 *   hindsight export DB FILE|-             the history as JSON (- for stdout)
 *   hindsight import FILE DB               a history file into a new file-store folder
 *   hindsight verify BACKUP_DIR            restores a backup folder in memory, checking every file
 *   hindsight stats DB  (alias: info)      seq, commits, versions, sizes
 *
 * Must stay true: commands that only read never write to DB's folder. They open a copy of it
 * (made in a temporary folder, without LOCK), so they work beside a running app that holds
 * the folder, and recovery of a torn tail happens in the copy. Output is readable text, or
 * JSON with --json; errors go to stderr with exit code 1 (2 for a usage error); --help works
 * on every command.
 */
import { realpathSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Database, restoreBackup } from './index.js';

const COMMANDS = {
  query: { usage: "query DB 'QUERY JSON' [--write] [--json]", help: 'Runs a DeltaTraceDB query (a Query or TransactionQuery dict). Read-only unless --write is given, which opens DB for writing (it must not be in use).' },
  log: { usage: 'log DB [--from SEQ] [--to SEQ] [--json]', help: 'Lists the commits, oldest first.' },
  at: { usage: "at DB POINT 'QUERY JSON' [--json]", help: 'Runs a read query on the state as of POINT: a seq number or an ISO 8601 time.' },
  diff: { usage: 'diff DB A B [--json]', help: 'Shows what changed between points A and B (seqs or ISO times), per collection.' },
  history: { usage: "history DB COLLECTION ['NODE JSON'] [--json]", help: 'Shows every version of the documents of COLLECTION that match the query node (all when omitted).' },
  export: { usage: 'export DB FILE|-', help: 'Writes the whole history as JSON (db.exportHistory()) to FILE, or to stdout with -.' },
  import: { usage: 'import FILE DB', help: 'Rebuilds a database from a history file and writes it to the file-store folder DB, which must be empty or new.' },
  verify: { usage: 'verify BACKUP_DIR [--json]', help: 'Restores a backup folder (BackupManager files + manifest) in memory and checks every file; exit 1 if one is damaged.' },
  stats: { usage: 'stats DB [--json]', help: 'Shows seq, oldest seq, commit and version counts, history bytes and memory.' },
};
COMMANDS.info = { ...COMMANDS.stats, usage: 'info DB [--json]' };

class UsageError extends Error {}

function mainHelp() {
  return ['usage: hindsight <command> [arguments] [--json] [--help]', '',
    'DB is a file-store folder (Database.open({ storage: "file", path })) or a history file (exportHistory() as JSON).', '',
    ...Object.entries(COMMANDS).map(([, c]) => `  hindsight ${c.usage}`), '',
    'hindsight <command> --help explains one command.'].join('\n');
}

/* argv -> { command, args, flags }: --name value for --from/--to, --name for booleans. */
function parseArgs(argv) {
  const args = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from' || a === '--to') {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a seq`);
      flags[a.slice(2)] = argv[++i];
    } else if (a === '--json' || a === '--help' || a === '-h' || a === '--write') {
      flags[a === '-h' ? 'help' : a.slice(2)] = true;
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      args.push(a);
    }
  }
  return { command: args.shift(), args, flags };
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${error.message}`);
  }
}

/* A point in history: digits are a seq, anything else an ISO 8601 time. */
const parsePoint = (text) => (/^\d+$/.test(text) ? Number(text) : text);

function parseSeq(text, name) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} needs a seq number, got ${text}`);
  return Number(text);
}

/*
 * Opens DB for reading: a history file is imported in memory; a folder is copied (without its
 * LOCK) into a temporary folder and opened there, so the original is never written.
 * Returns { db, done } where done() closes the database and removes the copy.
 */
async function openForReading(dbPath) {
  const info = await stat(dbPath).catch(() => null);
  if (!info) throw new UsageError(`${dbPath} does not exist`);
  if (info.isFile()) {
    const history = parseJson(await readFile(dbPath, 'utf8'), dbPath);
    const db = await Database.importHistory(history);
    return { db, done: () => db.close() };
  }
  const copy = await mkdtemp(path.join(tmpdir(), 'hindsight-cli-'));
  try {
    await cp(dbPath, copy, { recursive: true, filter: (src) => path.basename(src) !== 'LOCK' });
    const db = await Database.open({ storage: 'file', path: copy });
    return { db, done: async () => { await db.close(); await rm(copy, { recursive: true, force: true }); } };
  } catch (error) {
    await rm(copy, { recursive: true, force: true });
    throw error;
  }
}

async function withReadable(dbPath, fn) {
  const { db, done } = await openForReading(dbPath);
  try {
    return await fn(db);
  } finally {
    await done();
  }
}

const json = (value) => JSON.stringify(value, null, 2);

function queryOutput(result, flags) {
  if (flags.json) return json(result);
  if (!result.isSuccess) throw new Error(`the query failed: ${result.errorMessage ?? 'no message'}`);
  const lines = (result.result ?? []).map((doc) => JSON.stringify(doc));
  lines.push(`(${result.type} ${result.target}: ${result.hitCount ?? lines.length} hit(s), ${result.updateCount ?? 0} updated, ${result.dbLength} in the collection)`);
  return lines.join('\n');
}

const RUN = {
  async query([dbPath, queryText], flags) {
    if (!dbPath || !queryText) throw new UsageError(COMMANDS.query.usage);
    const query = parseJson(queryText, 'QUERY JSON');
    if (flags.write) {
      const db = await Database.open({ storage: 'file', path: dbPath });
      try {
        return queryOutput(db.executeQueryObject(query), flags);
      } finally {
        await db.close();
      }
    }
    // A copy is opened, so a write would be lost: say so instead of pretending.
    return withReadable(dbPath, (db) => {
      const before = db.seq;
      const result = db.executeQueryObject(query);
      if (db.seq !== before) throw new UsageError('this query writes; run it with --write (DB must not be in use)');
      return queryOutput(result, flags);
    });
  },

  async log([dbPath], flags) {
    if (!dbPath) throw new UsageError(COMMANDS.log.usage);
    const from = parseSeq(flags.from, 'from'), to = parseSeq(flags.to, 'to');
    return withReadable(dbPath, (db) => {
      const commits = db.commits({ from, to });
      if (flags.json) return json(commits);
      if (!commits.length) return '(no commits)';
      return commits.map((c) => {
        const q = c.query ?? {};
        const what = q.className === 'TransactionQuery' ? `transaction of ${q.queries?.length ?? 0}` : `${q.type ?? q.className ?? '?'} ${q.target ?? ''}`;
        const cause = c.cause ? `  cause: ${c.cause.description ?? c.cause.serialName ?? JSON.stringify(c.cause)}` : '';
        return `${String(c.seq).padStart(6)}  ${c.time}  ${what.trim()}${cause}`;
      }).join('\n');
    });
  },

  async at([dbPath, point, queryText], flags) {
    if (!dbPath || point === undefined || !queryText) throw new UsageError(COMMANDS.at.usage);
    const query = parseJson(queryText, 'QUERY JSON');
    return withReadable(dbPath, (db) => queryOutput(db.at(parsePoint(point)).executeQuery(query), flags));
  },

  async diff([dbPath, a, b], flags) {
    if (!dbPath || a === undefined || b === undefined) throw new UsageError(COMMANDS.diff.usage);
    return withReadable(dbPath, (db) => {
      const d = db.diff(parsePoint(a), parsePoint(b));
      if (flags.json) return json(d);
      const lines = [];
      for (const [collection, c] of Object.entries(d)) {
        lines.push(`${collection}:`);
        for (const doc of c.added ?? []) lines.push(`  + ${JSON.stringify(doc)}`);
        for (const doc of c.removed ?? []) lines.push(`  - ${JSON.stringify(doc)}`);
        for (const ch of c.changed ?? []) lines.push(`  ~ ${JSON.stringify(ch.before)}\n    -> ${JSON.stringify(ch.after)}`);
      }
      return lines.length ? lines.join('\n') : '(no changes)';
    });
  },

  async history([dbPath, collection, nodeText], flags) {
    if (!dbPath || !collection) throw new UsageError(COMMANDS.history.usage);
    const node = nodeText === undefined ? undefined : parseJson(nodeText, 'NODE JSON');
    return withReadable(dbPath, (db) => {
      const entries = db.history(collection, node);
      if (flags.json) return json(entries);
      if (!entries.length) return '(no versions)';
      return entries.map((e) => `${String(e.seq).padStart(6)}  ${e.time}  ${e.op}  ${JSON.stringify(e.doc)}`).join('\n');
    });
  },

  async export([dbPath, file]) {
    if (!dbPath || !file) throw new UsageError(COMMANDS.export.usage);
    const text = await withReadable(dbPath, (db) => JSON.stringify(db.exportHistory()));
    if (file === '-') return text;
    await writeFile(file, text + '\n');
    return null;
  },

  async import([file, dbPath], flags) {
    if (!file || !dbPath) throw new UsageError(COMMANDS.import.usage);
    const history = parseJson(await readFile(file, 'utf8'), file);
    const existing = await stat(dbPath).catch(() => null);
    if (existing && !existing.isDirectory()) throw new UsageError(`${dbPath} exists and is not a folder`);
    // Importing replaces a store's contents: never do that to a database that is already there.
    if (existing && (await readdir(dbPath)).length) throw new UsageError(`${dbPath} is not empty; import into a new folder`);
    const db = await Database.importHistory(history, { storage: 'file', path: dbPath });
    try {
      const s = db.stats();
      return flags.json ? json({ seq: s.seq, commits: s.commits }) : `imported ${s.commits} commit(s) into ${dbPath} (seq ${s.seq})`;
    } finally {
      await db.close();
    }
  },

  async verify([dir], flags) {
    if (!dir) throw new UsageError(COMMANDS.verify.usage);
    const db = await restoreBackup(dir);
    try {
      const s = db.stats();
      return flags.json ? json({ ok: true, seq: s.seq, commits: s.commits }) : `ok: the backup restores to seq ${s.seq} (${s.commits} commit(s))`;
    } finally {
      await db.close();
    }
  },

  async stats([dbPath], flags) {
    if (!dbPath) throw new UsageError(COMMANDS.stats.usage);
    return withReadable(dbPath, (db) => {
      const s = { ...db.stats(), ...db.memoryUsage(), collections: Object.keys(db.toDict().collections ?? {}) };
      if (flags.json) return json(s);
      return Object.entries(s).map(([k, v]) => `${k.padEnd(16)} ${Array.isArray(v) ? v.join(', ') || '(none)' : v}`).join('\n');
    });
  },
};
RUN.info = RUN.stats;

export async function main(argv, out = process.stdout, err = process.stderr) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    err.write(`hindsight: ${error.message}\n${mainHelp()}\n`);
    return 2;
  }
  const { command, args, flags } = parsed;
  if (!command || command === 'help') {
    (command || flags.help ? out : err).write(mainHelp() + '\n');
    return command || flags.help ? 0 : 2;
  }
  const spec = COMMANDS[command];
  if (!spec) {
    err.write(`hindsight: unknown command '${command}'\n${mainHelp()}\n`);
    return 2;
  }
  if (flags.help) {
    out.write(`usage: hindsight ${spec.usage}\n\n${spec.help}\n`);
    return 0;
  }
  try {
    const text = await RUN[command](args, flags);
    if (text !== null && text !== undefined) out.write(text + '\n');
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`hindsight ${command}: ${error.message}\nusage: hindsight ${spec.usage}\n`);
      return 2;
    }
    const code = error?.code ? ` (${error.code})` : '';
    err.write(`hindsight ${command}: ${error?.message ?? error}${code}\n`);
    return 1;
  }
}

// Run only as a program, not when imported (tests call main()).
function invokedDirectly() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
