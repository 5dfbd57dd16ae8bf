# cmd/ - unik, the command-line client.  It speaks only the REST API
# (api/openapi.yaml): its own HTTP/1.1 over the unix socket, libcurl (opened
# when needed) over TCP and TLS.
UNIK_SRCS += \
	cmd/archive_dyn.c \
	cmd/client.c \
	cmd/client_curl.c \
	cmd/client_unix.c \
	cmd/cmd_build.c \
	cmd/cmd_completion.c \
	cmd/cmd_compose.c \
	cmd/cmd_cp.c \
	cmd/cmd_events.c \
	cmd/cmd_export.c \
	cmd/cmd_images.c \
	cmd/cmd_inspect.c \
	cmd/cmd_instances.c \
	cmd/cmd_kill.c \
	cmd/cmd_oci.c \
	cmd/cmd_prune.c \
	cmd/cmd_ps.c \
	cmd/cmd_run.c \
	cmd/cmd_save.c \
	cmd/cmd_stage.c \
	cmd/cmd_stats.c \
	cmd/cmd_system.c \
	cmd/cmd_volumes.c \
	cmd/common.c \
	cmd/compose_model.c \
	cmd/compose_up.c \
	cmd/compose_yaml.c \
	cmd/creds.c \
	cmd/curl_dyn.c \
	cmd/demux.c \
	cmd/dynload.c \
	cmd/envfile.c \
	cmd/gotmpl.c \
	cmd/group.c \
	cmd/help.c \
	cmd/http_resp.c \
	cmd/humanize.c \
	cmd/job_follow.c \
	cmd/listfmt.c \
	cmd/main.c \
	cmd/man.c \
	cmd/opts.c \
	cmd/progress.c \
	cmd/run_stdin.c \
	cmd/run_watch.c \
	cmd/table.c \
	cmd/tarball.c
UNIK_LIBS += -ljansson -lyaml
LINT_SRCS += $(wildcard cmd/*.c cmd/*.h)
