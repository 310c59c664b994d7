/*
 * folder-backup-target.js: FolderBackupTarget, backup files in a folder (Node, and Deno's
 * node: layer). A target as js/backup-targets.js describes it: writeFile, readFile, list,
 * remove.
 *
 * Must stay true: a write is atomic (temp file, fsync, rename, fsync of the folder): a crash
 * leaves the old file or the new one, never a torn one under a backup's name (DictDB wrote in
 * place and left truncated "backups"). Names are checked by js/backup-targets.js's checkName,
 * so nothing can leave the folder. Temp files start with '.', so list() skips them.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { HindsightError, ErrorCode } from '../js/errors.js';
import { checkName, SAFE_NAME } from '../js/backup-targets.js';

function invalid(message) { return new HindsightError(ErrorCode.INVALID_ARGUMENT, message); }

/* A folder in Node. Temp files start with '.' so list() (and a glance at the folder) skips
   them; one left by a crash is removed by the next successful write of the same name. */
export class FolderBackupTarget {
  path;
  #node = null;

  constructor(path) {
    if (typeof path !== 'string' || path === '') throw invalid('FolderBackupTarget needs a folder path');
    this.path = path;
  }

  /* The folder is created on first use, not by the constructor (which cannot wait). */
  async #modules() {
    if (!this.#node) {
      await fs.mkdir(this.path, { recursive: true });
      this.#node = { fs, join };
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
