/*
 * web/index.js: the 'hindsight-db/indexeddb' entry: the browser's IndexedDB store on its own,
 * for apps that build a store object themselves (Database.open({ storage: new IndexedDbStore(...) })).
 * The main entry already registers it; this entry adds nothing to it and reaches no node: module.
 */
export { IndexedDbStore, isQuotaError } from '../index.js';
