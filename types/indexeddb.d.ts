/* indexeddb.d.ts: declarations of 'hindsight-db/indexeddb' (web/index.js). */
export { IndexedDbStore, isQuotaError } from './index.js';
