/*
 * backup-targets.js: where backup files go. A target is any object with
 *   await writeFile(name, text)   complete (and, where the medium allows, durable) when it resolves;
 *   await readFile(name)          the text, or null when there is no such file;
 *   await list()                  the names of the files it holds;
 *   await remove(name)            deletes name; a missing file is not an error.
 * MemoryBackupTarget keeps files in a Map; FolderBackupTarget writes a folder in Node (and
 * Deno's node: layer); DownloadBackupTarget hands each file to the browser as a download.
 *
 * Must stay true: this file loads in browsers, Deno and workerd, so node: modules are only
 * imported inside FolderBackupTarget's methods. A folder write is atomic (temp file, fsync,
 * rename, fsync of the folder): a crash leaves the old file or the new one, never a torn
 * one under a backup's name (DictDB wrote in place and left truncated "backups").
 * Names are plain file names; anything that could leave the folder is refused.
 */
import { HindsightError, ErrorCode } from './errors.js';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A name read back from a manifest is not trusted: it must not climb out of the folder. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function checkName(name) {
  if (typeof name !== 'string' || !SAFE_NAME.test(name) || name.includes('..')) {
    throw invalid(`not a plain backup file name: ${JSON.stringify(name)}`);
  }
  return name;
}

/* Files in this process. Also the way to restore files the user picked in a browser:
   new MemoryBackupTarget({ [file.name]: await file.text(), ... }). */
export class MemoryBackupTarget {
  files;

  /* initial: a Map or a plain object of name -> text (optional). */
  constructor(initial) {
    const entries = initial instanceof Map ? initial.entries() : Object.entries(initial ?? {});
    this.files = new Map();
    for (const [name, text] of entries) this.files.set(checkName(name), String(text));
  }

  async writeFile(name, text) {
    if (typeof text !== 'string') throw invalid('writeFile: text must be a string');
    this.files.set(checkName(name), text);
  }

  async readFile(name) { return this.files.get(checkName(name)) ?? null; }

  async list() { return [...this.files.keys()].sort(); }

  async remove(name) { this.files.delete(checkName(name)); }
}

/* A folder in Node. Temp files start with '.' so list() (and a glance at the folder) skips
   them; one left by a crash is removed by the next successful write of the same name. */
export class FolderBackupTarget {
  path;
  #node = null;

  constructor(path) {
    if (typeof path !== 'string' || path === '') throw invalid('FolderBackupTarget needs a folder path');
    this.path = path;
  }

  /* node: modules, imported on first use so this file loads where they do not exist. */
  async #modules() {
    if (!this.#node) {
      const [fs, pathModule] = await Promise.all([import('node:fs/promises'), import('node:path')]);
      await fs.mkdir(this.path, { recursive: true });
      this.#node = { fs, join: pathModule.join };
    }
    return this.#node;
  }

  async writeFile(name, text) {
    if (typeof text !== 'string') throw invalid('writeFile: text must be a string');
    const { fs, join } = await this.#modules();
    const finalPath = join(this.path, checkName(name));
    const tempPath = join(this.path, `.${name}.tmp`);
    let renamed = false;
    try {
      const file = await fs.open(tempPath, 'w');
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await fs.rename(tempPath, finalPath);
      renamed = true;
      await this.#syncFolder(fs);
    } finally {
      if (!renamed) await fs.rm(tempPath, { force: true }).catch(() => {});
    }
  }

  /* Makes the rename itself durable. Some systems (Windows) cannot open a folder for
     fsync; there the rename is as durable as the OS makes it. */
  async #syncFolder(fs) {
    let folder;
    try {
      folder = await fs.open(this.path, 'r');
      await folder.sync();
    } catch (error) {
      if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF'].includes(error?.code)) throw error;
    } finally {
      await folder?.close();
    }
  }

  async readFile(name) {
    const { fs, join } = await this.#modules();
    try {
      return await fs.readFile(join(this.path, checkName(name)), 'utf8');
    } catch (error) {
      if (error?.code === 'ENOENT') return null;
      throw error;
    }
  }

  async list() {
    const { fs } = await this.#modules();
    const entries = await fs.readdir(this.path, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && SAFE_NAME.test(e.name)).map((e) => e.name).sort();
  }

  async remove(name) {
    const { fs, join } = await this.#modules();
    await fs.rm(join(this.path, checkName(name)), { force: true });
  }
}

/* In a browser: each file becomes a download (a Blob behind a clicked <a download>). The
   browser keeps nothing we can read back, so readFile gives null, list gives [] and remove
   does nothing: a new BackupManager starts a new chain with a full file, each manifest
   lists the files of this page's session, and deleting old downloads is the user's. options: { document, URL, Blob, setTimeout } to inject (tests); revokeAfterMs:
   how long the object URL stays valid (some browsers start the download asynchronously). */
export class DownloadBackupTarget {
  #env;

  constructor({ document = globalThis.document, URL = globalThis.URL, Blob = globalThis.Blob,
    setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms), revokeAfterMs = 60_000 } = {}) {
    if (!document?.createElement) throw invalid('DownloadBackupTarget needs a document (it runs in a browser page)');
    this.#env = { document, URL, Blob, setTimeout, revokeAfterMs };
  }

  async writeFile(name, text) {
    const { document, URL, Blob, setTimeout, revokeAfterMs } = this.#env;
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = checkName(name);
    anchor.style.display = 'none';
    document.body.appendChild(anchor);
    try {
      anchor.click();
    } finally {
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), revokeAfterMs);
    }
  }

  async readFile() { return null; }

  async list() { return []; }

  async remove() {}
}
