/*
** permission.js: Permission, the per-collection list of allowed query types
** (DeltaTraceDB protocol reference §12).
**
** Invariants: toDict() is {className "Permission", version "1", allows} and
** every entry of allows is an EnumQueryType name. A Permission built in a
** client is only a request: servers must not trust ones that arrive over the
** wire (DeltaTraceDB server docs).
*/
import { EnumQueryType } from './enums.js';
import { isPlainObject } from './jsonable.js';
import { invalidArgument, requireArray, requireEnumName } from './validate.js';

export class Permission {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /** allows: an array of EnumQueryType names, e.g. ['search', 'add']. */
  constructor(allows) {
    const where = 'new Permission';
    this.allows = requireArray(where, 'allows', allows)
      .map((type, i) => requireEnumName(where, `allows[${i}]`, type, EnumQueryType));
  }

  toDict() {
    return { className: 'Permission', version: '1', allows: [...this.allows] };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('Permission.fromDict', 'expected a plain object');
    return new Permission(dict.allows);
  }
}
