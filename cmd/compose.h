/* compose.h - what the `unik compose` commands share (cmd_compose.c: the
 * group, ps, logs, config; compose_up.c: up, down). */
#ifndef UNIK_CMD_COMPOSE_H
#define UNIK_CMD_COMPOSE_H

#include <jansson.h>

#include "../api/types.h"
#include "cmd.h"
#include "compose_model.h"

/* The labels that mark what `up` made, Docker Compose's own names. */
#define COMPOSE_LABEL_PROJECT "com.docker.compose.project"
#define COMPOSE_LABEL_SERVICE "com.docker.compose.service"
#define COMPOSE_LABEL_NUMBER "com.docker.compose.container-number"
#define COMPOSE_LABEL_HASH "com.docker.compose.config-hash"

extern const struct cmd cmd_compose_up, cmd_compose_down;

/* Loads the project of -f/-p (or compose.yaml, compose.yml,
 * docker-compose.yaml, docker-compose.yml here); prints the error. */
int compose_open(struct compose_project *p);

/* "PROJECT-SERVICE-1" (NEW). */
char *compose_instance_name(const struct compose_project *p, const struct compose_service *s);

/* The value of label `key` in `labels` ("K=V"), or NULL (borrowed). */
const char *compose_label(const struct strv *labels, const char *key);

/* The project's instances (every state) from GET /v1/instances?all=1, by
 * their project label; *out is a NEW array of instance objects.  Prints
 * its error; 0 or -1. */
int compose_list(struct cmd_ctx *ctx, const char *project, json_t **out);

/* Streams the logs of `n` instances (ids and display names), each line
 * after "NAME | ", at once, until every stream ends; with `follow`, until
 * the instances exit.  With `stop_on_interrupt`, the first Ctrl-C stops
 * the instances (and waits for the streams); otherwise and at the second
 * Ctrl-C it returns at once.  `since` (NULL: all) is the logs' since=
 * parameter.  Returns 0, 1 on an error, 130 when
 * interrupted. */
int compose_follow(struct cmd_ctx *ctx, char **ids, char **names, size_t n, int follow,
		   int stop_on_interrupt, const char *since);

#endif
