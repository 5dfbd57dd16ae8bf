/* group.h - commands with subcommands ("unik system df"): the dispatcher
 * they share. */
#ifndef UNIK_CMD_GROUP_H
#define UNIK_CMD_GROUP_H

#include "cmd.h"

/* Runs the subcommand argv[0] of `group` ("system") from `subs` (their
 * names are "GROUP SUB"; NULL-terminated) with the rest of argv, parsing
 * its options as the runner does; `about` is the group's one-line help. */
int cmd_group_main(struct cmd_ctx *ctx, const char *group, const char *about,
		   const struct cmd *const *subs, int argc, char **argv);

#endif
