UNIKD_SRCS += daemon/main.c daemon/daemon.c daemon/http.c daemon/routes.c daemon/store.c daemon/blobs.c \
	daemon/store_volumes.c daemon/volume_disk.c daemon/instance_volumes.c daemon/h_volumes.c daemon/volume_attach.c daemon/untar.c daemon/untar_entry.c daemon/ids.c daemon/supervisor.c daemon/instances.c daemon/jobs.c daemon/build_cache.c daemon/log_times.c \
	daemon/follow.c daemon/console_stream.c daemon/h_system.c daemon/h_images.c daemon/h_jobs.c \
	daemon/h_instances.c daemon/network.c daemon/netdev.c daemon/portfwd.c daemon/summon.c \
	daemon/http_uri.c daemon/http_reply.c daemon/http_listen.c daemon/http_workers.c \
	daemon/http_park.c daemon/http_tls.c
UNIKD_LIBS += -lmicrohttpd -lgnutls -ljansson -lsqlite3 -larchive -lcrypto
LINT_SRCS += $(wildcard daemon/*.c daemon/*.h)
UNIKD_SRCS += daemon/run_ctx.c daemon/reconcile.c daemon/claims.c daemon/instance_exit.c
UNIKD_SRCS += daemon/stagings.c daemon/published.c daemon/h_export.c daemon/h_stage.c
UNIKD_SRCS += daemon/events.c daemon/h_events.c daemon/instance_stats.c daemon/h_stats.c daemon/restarts.c
UNIKD_SRCS += daemon/stagings.c daemon/published.c daemon/h_export.c daemon/h_df.c
UNIKD_SRCS += daemon/oci_layout.c daemon/oci_import.c daemon/oci_tar.c daemon/oci_skopeo.c daemon/oci_upload.c daemon/oci_rootfs.c \
	daemon/h_oci.c daemon/h_oci_save.c
