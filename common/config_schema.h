/* config_schema.h: private to common/config*.c. The one table of config keys (config_schema.c)
 * and the walkers that read it: defaults, parsing with validation, and JSON output. Each row
 * says where a value lives in its struct, its type, default and range, so a new key is one row
 * and every consumer (parser, `config show`, unknown-key messages) picks it up. */
#ifndef KISIM_CONFIG_SCHEMA_H
#define KISIM_CONFIG_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/config.h"

typedef enum {
    SF_INT,        /* int; an integral JSON number in [min, max] */
    SF_CHOICE,     /* int; one of choices[0..n) */
    SF_U64,        /* uint64_t; an integral JSON number in [0, 2^53], all exact in a double */
    SF_DOUBLE,     /* double in [min, max], or (min, max] when open_min */
    SF_ENUM,       /* a C enum (int-sized); the JSON string names[k] stores k */
    SF_STRING,     /* char[size]; at least (int)min characters */
    SF_OBJECT,     /* a nested section: fields[] share the parent's base struct */
    SF_NODE_TYPES, /* array of cfg_node_type at off, count at count_off; fields[] per element */
    SF_FEATURES,   /* array of feature names; uint8_t flags[KISIM_F] at off */
    SF_BOOL,       /* int 0/1; a JSON true or false */
    SF_ENDPOINTS,  /* array of up to CFG_MAX_REMOTE strings char[CFG_ENDPOINT_LEN], count at
                    * count_off */
} sf_kind;

typedef struct schema_field {
    const char *key; /* NULL ends a list */
    sf_kind kind;
    size_t off;       /* from the base struct (kisim_config, or cfg_node_type) */
    size_t size;      /* SF_STRING: buffer size */
    size_t count_off; /* SF_NODE_TYPES: where the element count lives */
    double def, min, max;
    int open_min;                      /* SF_DOUBLE: min itself is not allowed */
    const char *sdef;                  /* SF_STRING: default */
    const char *const *names;          /* SF_ENUM */
    const int *choices;                /* SF_CHOICE */
    int n;                             /* number of names / choices */
    const struct schema_field *fields; /* SF_OBJECT, SF_NODE_TYPES */
} schema_field;

/* The top-level sections, in output order; base struct kisim_config. */
extern const schema_field cfg_schema[];
/* The keys of one node type; base struct cfg_node_type. */
extern const schema_field cfg_node_type_schema[];
/* Enum names, in enum order. */
extern const char *const cfg_backend_names[];
extern const char *const cfg_pattern_names[];

/* Sets every field of `fields` (recursively) to its default; node-type arrays become empty. */
void schema_defaults(const schema_field *fields, void *base);

/* Reads a JSON object into base according to `fields`. `ptr` is the object's JSON Pointer
 * ("" for the top level), `origin` the file name for messages. 0 or KISIM_ECONFIG. */
int schema_parse(const schema_field *fields, const cJSON *obj, void *base, const char *origin,
                 const char *ptr);

/* Sets the KISIM_ECONFIG message "config: ORIGIN: PTR: MSG" and returns KISIM_ECONFIG. */
int schema_error(const char *origin, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A growing text buffer; oom is set (and text dropped) when an allocation fails. */
typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} schema_buf;
void schema_puts(schema_buf *b, const char *s);

/* Writes base as a JSON object (fields in table order); indent < 0 means compact. */
void schema_emit(schema_buf *b, const schema_field *fields, const void *base, int indent);
/* The shortest of %.15g, %.16g, %.17g that reads back as v (buf >= 32 bytes). */
void schema_fmt_double(char *buf, size_t n, double v);

#endif
