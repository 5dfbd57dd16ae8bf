# cmd/ - unik, the command-line client.  It speaks only the REST API
# (api/openapi.yaml), through libcurl.
UNIK_SRCS += cmd/main.c cmd/help.c cmd/common.c cmd/opts.c cmd/client.c cmd/table.c \
	cmd/humanize.c cmd/tarball.c cmd/cmd_build.c cmd/cmd_images.c cmd/cmd_run.c \
	cmd/cmd_instances.c cmd/cmd_system.c cmd/cmd_volumes.c cmd/cmd_export.c \
	cmd/cmd_oci.c cmd/progress.c cmd/cmd_save.c cmd/creds.c \
	cmd/gotmpl.c cmd/cmd_inspect.c cmd/cmd_kill.c cmd/listfmt.c cmd/cmd_ps.c cmd/envfile.c cmd/group.c cmd/cmd_prune.c cmd/cmd_completion.c cmd/man.c cmd/demux.c
UNIK_SRCS += cmd/cmd_events.c cmd/cmd_stats.c cmd/run_watch.c cmd/cmd_stage.c
UNIK_LIBS += -lcurl -ljansson -larchive
LINT_SRCS += $(wildcard cmd/*.c cmd/*.h)
