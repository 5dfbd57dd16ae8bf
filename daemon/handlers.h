/* handlers.h - the REST handlers, one per route (routes.c). */
#ifndef UNIKD_HANDLERS_H
#define UNIKD_HANDLERS_H

struct http_req;

/* h_system.c */
void h_version(struct http_req *req);
void h_health(struct http_req *req);
void h_system_df(struct http_req *req);
void h_compilers(struct http_req *req);
void h_providers(struct http_req *req);
/* h_images.c */
void h_images_list(struct http_req *req);
void h_images_build(struct http_req *req);
void h_images_get(struct http_req *req);
void h_images_delete(struct http_req *req);
/* h_export.c */
void h_images_export(struct http_req *req);
/* h_oci.c, h_oci_save.c */
void h_images_push(struct http_req *req);
/* h_stage.c */
void h_images_stage(struct http_req *req);
void h_images_pull(struct http_req *req);
void h_images_tag(struct http_req *req);
void h_images_save(struct http_req *req);
void h_images_load(struct http_req *req);
void h_registries_login(struct http_req *req);
/* h_jobs.c */
void h_jobs_get(struct http_req *req);
void h_jobs_events(struct http_req *req);
void h_jobs_cancel(struct http_req *req);
/* For the routes that start a job (push, pull, stage): the job `kind`
 * runs fn(task) in a new folder tmp/KIND-RANDOM of the state dir (*work,
 * when not NULL, gets its path before the job starts: the task's copy),
 * and the reply is 202 with the job, or the error.  The task is the job's
 * in every case: task_free(task) on a failure. */
struct job_ctx;
struct unik_err;
void h_jobs_start(struct http_req *req, const char *kind, const char *what,
		  int (*fn)(struct job_ctx *jc, void *task, struct unik_err *err), void *task,
		  void (*task_free)(void *task), char **work);
/* h_instances.c */
void h_instances_list(struct http_req *req);
void h_instances_create(struct http_req *req);
void h_instances_get(struct http_req *req);
void h_instances_delete(struct http_req *req);
void h_instances_stop(struct http_req *req);
void h_instances_kill(struct http_req *req);
void h_instances_start(struct http_req *req);
void h_instances_logs(struct http_req *req);
void h_instances_wait(struct http_req *req);
/* h_volumes.c */
void h_volumes_list(struct http_req *req);
void h_volumes_create(struct http_req *req);
void h_volumes_get(struct http_req *req);
void h_volumes_delete(struct http_req *req);
void h_volumes_attach(struct http_req *req);
void h_volumes_detach(struct http_req *req);
/* h_events.c */
void h_events(struct http_req *req);
/* h_archive.c */
void h_instances_archive(struct http_req *req);
/* h_stats.c */
void h_instances_stats(struct http_req *req);
void h_instances_stdin(struct http_req *req);

#endif
