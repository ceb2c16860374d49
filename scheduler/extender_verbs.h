/* extender_verbs.h: the extender's two verbs, from a request body to an answer body, without
 * HTTP (scheduler/extender.c serves them): prioritize scores the candidates through the
 * service's chain; filter fails the nodes scheduler/EXTENDER.md lists ("Filter"). */
#ifndef KISIM_EXTENDER_VERBS_H
#define KISIM_EXTENDER_VERBS_H

#include <stddef.h>

#include "scheduler/score.h"

/* Answers an ExtenderArgs body for verb SCORE_VERB_FILTER or SCORE_VERB_PRIORITIZE: *status
 * gets the HTTP status (200; 400 for a malformed request, counted with
 * score_service_count_error; 500 when out of memory) and *out a malloc'ed JSON body (NULL only
 * when even the error body could not be allocated). filter_min_score as extender_opts says. */
void extender_verbs_answer(score_service *s, score_verb verb, const char *body, size_t len,
                           int filter_min_score, int *status, char **out, size_t *out_len);

#endif
