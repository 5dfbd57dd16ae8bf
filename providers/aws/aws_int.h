/* aws_int.h - the "aws" provider's parts (docs/providers/aws.md).
 *
 * An image is published as an EBS snapshot of its staged raw disk (the EBS
 * direct uploader, ebs.h) registered as an AMI (ec2.h); its reference is
 * "ami-... snap-...".  An instance is one EC2 instance run from that AMI,
 * tagged unik:instance=<id> and unik:image=<digest>; its id is kept in the
 * instance's folder ("ec2-instance").  status() asks DescribeInstances and
 * appends the console output that is new since the last call to the
 * instance's log.
 */
#ifndef UNIK_PROVIDERS_AWS_INT_H
#define UNIK_PROVIDERS_AWS_INT_H

#include "../provider.h"
#include "providers/aws/aws_creds.h"
#include "providers/aws/aws_http.h"
#include "providers/aws/ec2.h"

extern const struct unik_provider unik_provider_aws;

#define AWS_DEFAULT_FAMILIES "t2,m4,c4" /* Xen-based: the runtime's netfront/blkfront */
#define AWS_TAG_INSTANCE "unik:instance"
#define AWS_TAG_IMAGE "unik:image"
#define AWS_TAG_USERDATA "unik:userdata" /* "imds": the AMI's runtime reads user data */
#define AWS_USER_DATA_MAX 16384 /* EC2's limit on the raw user data */
#define AWS_INSTANCE_FILE "ec2-instance"
#define AWS_CONSOLE_FILE "ec2-console" /* the console output seen last */

/* Credentials, region and endpoint (aws_creds, then aws.region and
 * aws.endpoint_url of the configuration), and the client over them. */
struct aws_setup {
	struct aws_creds creds;
	struct aws_client client;
};
int aws_setup_load(const struct unik_config *cfg, struct aws_setup *s, struct unik_err *err);
void aws_setup_release(struct aws_setup *s);

/* "ami-... snap-..." into its two ids: INVALID otherwise. */
int aws_ref_parse(const char *ref, char ami[EC2_ID_MAX], char snap[EC2_ID_MAX],
		  struct unik_err *err);

/* The same for a reference of two pairs: the image's AMI and snapshot,
 * then its companion's (aws_publish); c_ami and c_snap "" when it has one
 * pair. */
int aws_ref_parse2(const char *ref, char ami[EC2_ID_MAX], char snap[EC2_ID_MAX],
		   char c_ami[EC2_ID_MAX], char c_snap[EC2_ID_MAX], struct unik_err *err);
#define AWS_COMPANION_DIR "companion" /* its publication's folder in spec->dir */

/* aws.c: publish() and unpublish() (an image's AMI; a run's own AMI). */
int aws_publish(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		struct unik_err *err);
int aws_unpublish(const struct unik_publish_spec *spec, const char *ref, struct unik_err *err);
/* Publishes spec->disk as it is (aws_publish adds unik.userdata=imds to
 * the disk of an image with the network stack first, unik.net=dhcp to a
 * linux-initrd image's); `userdata` tags the AMI unik:userdata=imds. */
int aws_publish_disk(const struct unik_publish_spec *spec, int userdata, char *ref, size_t ref_size,
		     struct unik_err *err);

/* aws_variant.c: the run's command line (without network words) into
 * mine.  AWS_LINUX_NET is the word the linux base's disks get on EC2 (its
 * init asks DHCP for eth0's address: the VPC's). */
#define AWS_LINUX_NET UNIK_BOOT_DHCP
int aws_run_cmdline(const struct unik_run_spec *spec, struct strbuf *mine, struct unik_err *err);
/* The AMI the run boots: base_ami when its command line is the image's
 * own or differs only in words its user data gives (aws_userdata.c), else
 * one of its own (a copy of the staged disk with the run's
 * command line, published once and kept in the instance's folder). */
int aws_variant_ami(const struct unik_run_spec *spec, const struct aws_client *c,
		    const char *base_ami, char ami[EC2_ID_MAX], struct unik_err *err);
/* Deregisters the instance's own AMI and deletes its snapshot, if any. */
int aws_variant_remove(const struct unik_run_spec *spec, struct unik_err *err);

/* aws_userdata.c: the run's user data (its unik.arg=, unik.env= and
 * unik.id= words) into out; INVALID past AWS_USER_DATA_MAX. */
int aws_user_data(const struct unik_run_spec *spec, struct strbuf *out, struct unik_err *err);
/* *yes 1 when the image's AMI is published to read user data: a unik-elf
 * kernel that links the network stack. */
int aws_userdata_capable(const struct unik_publish_spec *spec, int *yes, struct unik_err *err);
/* The path (*disk, the caller frees) of a copy of spec->disk in spec->dir
 * whose grub.cfg adds `word` (unik.userdata=imds, or unik.net=dhcp for the
 * linux base); one left by a publication cut short is used again (an
 * image's format, so its word, never changes).  _done removes it once
 * published. */
int aws_userdata_disk(const struct unik_publish_spec *spec, const char *word, char **disk,
		      struct unik_err *err);
void aws_userdata_disk_done(const struct unik_publish_spec *spec);
/* *yes 1 when the run's command line differs from `theirs` (the image's
 * staged disk's) only in unik.arg=/unik.env= words that its user data
 * replaces: the run may boot the image's own AMI when that reads user data. */
int aws_userdata_fits(const struct unik_run_spec *spec, const char *theirs, int *yes,
		      struct unik_err *err);

/* aws_instance.c: the instance operations. */
int aws_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err);
int aws_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s, struct unik_err *err);
int aws_status(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
	       struct unik_err *err);
int aws_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		struct unik_err *err);
int aws_remove(const struct unik_run_spec *spec, struct unik_err *err);

/* What of `now` (the console output, a sliding window of its end) is new
 * after `seen` (the output read last): its offset in now. */
size_t aws_console_new(const char *seen, size_t seen_len, const char *now, size_t now_len);
/* The exit status the console text shows (the last "unik-exit-status=<n>"
 * or "unik: exit status <n>" line), or -1. */
int aws_console_exit_status(const char *text, size_t len);

/* aws_poll.c: status()'s view of an instance from one DescribeInstances
 * of all unik's instances (tag-key unik:instance) of the client's
 * endpoint, region and account, made at most every AWS_POLL_FRESH_MS and
 * shared by every caller; one not in it is asked by id (NOT_FOUND: gone). */
#define AWS_POLL_FRESH_MS 1500
#define AWS_CONSOLE_EVERY_MS 5000
int aws_poll_instance(const struct aws_client *c, const char *id, struct ec2_instance *out,
		      struct unik_err *err);
/* DescribeInstances of every instance with tag `key`, any state, into
 * out[0..max) (all pages). */
int ec2_instances_tagged(const struct aws_client *c, const char *key, struct ec2_instance *out,
			 size_t max, size_t *n, struct unik_err *err);
/* 1 when status() should ask the instance's console now: not running
 * (stopping, stopped: its exit line), or not asked for
 * AWS_CONSOLE_EVERY_MS; the time is then noted. */
int aws_poll_console_due(const char *id, int running);
/* The batch is out of date (an instance was run, started, stopped or
 * terminated): the next aws_poll_instance() makes a new one.  Taken under
 * the batch's lock, so a batch in flight is dropped too. */
void aws_poll_forget(const struct aws_client *c);

/* aws_nitro.c: 1 when the ELF64 file's symbol table defines function
 * `name`, 0 when not, -1 with err (INVALID: not ELF64, headers out of the
 * file). */
int aws_elf_defines(const char *path, const char *name, struct unik_err *err);
/* The image's kernel links the network stack (defines
 * net_init): *yes 1 or 0; INVALID for a file that is not ELF64. */
int aws_image_has_network(const char *kernel, int *yes, struct unik_err *err);
/* aws_nitro.c: 1 when `type` gives an ENA adapter: EC2's answer
 * (networkInfo/enaSupport, hypervisor) when it has one, else the family
 * table (the families without ENA: aws_xen_families(), NULL-terminated). */
int aws_type_has_ena(const char *type, const char *hypervisor, const char *ena);
const char *const *aws_xen_families(void);
/* The base a run boots on `type`: *run is spec, or, when the image's
 * program needs a network that the type's ENA would not give it and the
 * image has a companion (c_ami its AMI, "" when none), spec with the
 * companion's format, kernel and disk; why then says so ("" otherwise).
 * Without a companion there: aws_check_type_network's 400. */
int aws_pick_base(const struct unik_run_spec *spec, const struct aws_client *c, const char *type,
		  const char *c_ami, struct unik_run_spec *run, char *why, size_t why_size,
		  struct unik_err *err);
/* DescribeInstanceTypes of one type: its hypervisor ("xen", "nitro") and
 * networkInfo/enaSupport ("unsupported", "supported", "required"). */
int ec2_type_network(const struct aws_client *c, const char *type, char *hypervisor, size_t hv_size,
		     char *ena, size_t ena_size, struct unik_err *err);
/* INVALID when the image makes sockets and `type` would give it an ENA
 * adapter only (Nitro, ENA-capable Xen types): the runtime has no ENA. */
int aws_check_type_network(const struct unik_run_spec *spec, const struct aws_client *c,
			   const char *type, struct unik_err *err);

#endif
