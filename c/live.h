/*
 * live.h: live queries, the C side (live.c has the design).
 *
 * A live query is a read (search, searchOne, getAll, count) kept up to date one commit at
 * a time. Each call writes one JSON text to the database's output (hs_db_output):
 *   {"seq":S}                                   nothing in the result changed
 *   {"seq":S,"full":true,"hitCount":h,"dbLength":n,"rows":[[id,doc],..]}   the whole page
 *   {"seq":S,"failed":true}                     a fresh run of the query fails now (mixed
 *                                               sort kinds, a regex over budget): run it
 *                                               to get its failure result
 *   {"seq":S,"hitCount":h,"dbLength":n,"removed":[[id,from],..],"changed":[[id,from,doc],..],
 *    "moved":[[id,from,index],..],"added":[[id,index,doc],..]}   a delta: from is a row's
 *                                               index in the previous page, index in the new
 *                                               one (live.c says how to apply it)
 * Row ids are the collection's row ids (coll.h). A live query must be closed before its
 * database, and never outlives it. hs_db_load and hs_db_from_dict replace the whole state
 * without a commit: close and reopen live queries after them (js/live.js reopens them on
 * the new engine after a multi-tab rebase).
 */
#ifndef HS_LIVE_H
#define HS_LIVE_H
#include "hindsight.h"

typedef struct hs_live hs_live;

/* Opens a live query of the Query dict `query` and writes its first output ("full" or
   "failed"). Returns NULL with {"error": msg} in the output when the query is not a live
   read, or on out of memory (*rc says which). */
hs_live *hs_live_open(hs_db *db, const char *query, size_t len, hs_rc *rc);
/* Brings the query up to the database's latest commit and writes what changed. */
hs_rc hs_live_update(hs_live *lv);
void hs_live_close(hs_live *lv);
#endif
