/*
** actor.js: Actor, the "who" of a Cause (DeltaTraceDB protocol reference §13).
**
** Invariants: toDict() emits exactly these keys in this order: className
** "Actor", version "6", type, id, collectionPermissions, context, name, email,
** createdAt, updatedAt, lastAccess, lastAccessDay, operationInDay, deviceIds.
** createdAt defaults to the construction time and updatedAt to createdAt, so
** repeated toDict() calls agree. Datetimes given as Date are written with
** toISOString(); ISO strings (e.g. read from PY's "+00:00" form) are kept
** verbatim so a dict round-trips unchanged.
*/
import { EnumActorType } from './enums.js';
import { copyJsonable, isPlainObject } from './jsonable.js';
import { Permission } from './permission.js';
import {
  invalidArgument, checkOptions, isGiven, requireString, optionalString,
  optionalInteger, optionalPlainObject, requireStringArray, requireEnumName,
  optionalDateTime, dateTimeToJson,
} from './validate.js';

const ACTOR_OPTIONS = [
  'type', 'id', 'collectionPermissions', 'context', 'name', 'email', 'createdAt',
  'updatedAt', 'lastAccess', 'lastAccessDay', 'operationInDay', 'deviceIds',
];

function toPermissionMap(where, value) {
  if (!isGiven(value)) return null;
  if (!isPlainObject(value)) {
    throw invalidArgument(where, "'collectionPermissions' must map collection names to Permissions");
  }
  const result = {};
  for (const [collection, permission] of Object.entries(value)) {
    let parsed;
    if (permission instanceof Permission) parsed = permission;
    else if (isPlainObject(permission)) parsed = Permission.fromDict(permission);
    else throw invalidArgument(where, `'collectionPermissions.${collection}' must be a Permission`);
    Object.defineProperty(result, collection,
      { value: parsed, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

export class Actor {
  /* JSON.stringify calls this, so builder objects can be nested in plain dicts. */
  toJSON() { return this.toDict(); }

  /**
   * options: { type: 'human'|'ai'|'system', id: string, collectionPermissions,
   * context, name, email, createdAt = new Date(), updatedAt = createdAt,
   * lastAccess, lastAccessDay, operationInDay, deviceIds }.
   */
  constructor(options) {
    const where = 'new Actor';
    const o = checkOptions(where, options, ACTOR_OPTIONS);
    this.type = requireEnumName(where, 'type', o.type, EnumActorType);
    this.id = requireString(where, 'id', o.id);
    this.collectionPermissions = toPermissionMap(where, o.collectionPermissions);
    this.context = isGiven(o.context)
      ? copyJsonable(optionalPlainObject(where, 'context', o.context), where, 'context') : null;
    this.name = optionalString(where, 'name', o.name);
    this.email = optionalString(where, 'email', o.email);
    this.createdAt = optionalDateTime(where, 'createdAt', o.createdAt) ?? new Date();
    this.updatedAt = optionalDateTime(where, 'updatedAt', o.updatedAt) ?? this.createdAt;
    this.lastAccess = optionalDateTime(where, 'lastAccess', o.lastAccess);
    this.lastAccessDay = optionalDateTime(where, 'lastAccessDay', o.lastAccessDay);
    this.operationInDay = optionalInteger(where, 'operationInDay', o.operationInDay);
    this.deviceIds = isGiven(o.deviceIds) ? requireStringArray(where, 'deviceIds', o.deviceIds) : null;
  }

  toDict() {
    let permissions = null;
    if (this.collectionPermissions !== null) {
      permissions = {};
      for (const [collection, permission] of Object.entries(this.collectionPermissions)) {
        Object.defineProperty(permissions, collection,
          { value: permission.toDict(), enumerable: true, writable: true, configurable: true });
      }
    }
    return {
      className: 'Actor',
      version: '6',
      type: this.type,
      id: this.id,
      collectionPermissions: permissions,
      context: this.context === null ? null : copyJsonable(this.context, 'Actor', 'context'),
      name: this.name,
      email: this.email,
      createdAt: dateTimeToJson(this.createdAt),
      updatedAt: dateTimeToJson(this.updatedAt),
      lastAccess: dateTimeToJson(this.lastAccess),
      lastAccessDay: dateTimeToJson(this.lastAccessDay),
      operationInDay: this.operationInDay,
      deviceIds: this.deviceIds === null ? null : [...this.deviceIds],
    };
  }

  static fromDict(dict) {
    if (!isPlainObject(dict)) throw invalidArgument('Actor.fromDict', 'expected a plain object');
    const options = {};
    for (const key of ACTOR_OPTIONS) options[key] = dict[key];
    return new Actor(options);
  }
}
