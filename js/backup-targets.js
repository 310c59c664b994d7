/*
 * backup-targets.js: where backup files go. A target is any object with
 *   await writeFile(name, text)   complete (and, where the medium allows, durable) when it resolves;
 *   await readFile(name)          the text, or null when there is no such file;
 *   await list()                  the names of the files it holds;
 *   await remove(name)            deletes name; a missing file is not an error.
 * MemoryBackupTarget keeps files in a Map; DownloadBackupTarget hands each file to the
 * browser as a download. The folder target is Node's: node/folder-backup-target.js, which
 * shares checkName and SAFE_NAME from here.
 *
 * Must stay true: this file loads in browsers, Deno and workerd and imports no node: module.
 * Names are plain file names; anything that could leave the folder is refused.
 */
import { HindsightError, ErrorCode } from './errors.js';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A name read back from a manifest is not trusted: it must not climb out of the folder. */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function checkName(name) {
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
