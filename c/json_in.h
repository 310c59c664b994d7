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
#endif
