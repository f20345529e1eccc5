// CJansson: jansson, plus functions for what jansson offers only as macros or inline code.
#ifndef CJANSSON_SHIM_H
#define CJANSSON_SHIM_H
#include <jansson.h>
static inline int cjansson_type(const json_t *j) { return (int)json_typeof(j); }
static inline void cjansson_decref(json_t *j) { json_decref(j); }
static inline json_t *cjansson_bool(int v) { return v ? json_true() : json_false(); }
#endif
