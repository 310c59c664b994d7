/*
 * json_in.h: turning parsed JSON (cJSON trees) into compact values and documents.
 *
 * cJSON parses every text that enters the engine; this module is the one place that
 * converts its trees into the immutable storage format of value.h. Inputs are borrowed.
 */
#ifndef HS_JSON_IN_H
#define HS_JSON_IN_H
#include "value.h"
#include "cJSON.h"

/* Appends the encoding of item to out. Returns NULL on success, or a static error message
   (too deep, duplicate key, a number that is not finite). */
const char *jin_encode(buf *out, const cJSON *item);
/* Builds a document from a JSON object. On failure returns NULL and sets *err (a static
   message; "out of memory" when allocation failed). scratch is reused between calls. */
doc *jin_doc(const cJSON *obj, buf *scratch, const char **err);
/* Like jin_doc, but the top-level member `key` gets the integer value `serial` (the member
   must exist; it keeps its position, as Python's item[key] = serial does). */
doc *jin_doc_with(const cJSON *obj, buf *scratch, const char *key, int64_t serial, const char **err);
#endif
