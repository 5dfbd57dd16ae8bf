/* oci_media.h - the media types, annotation keys and rootfs file names of
 * unik images as OCI artifacts (docs/oci.md is their contract). */
#ifndef UNIKD_OCI_MEDIA_H
#define UNIKD_OCI_MEDIA_H

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_IMAGE_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_UNIK_CONFIG "application/vnd.unik.image.config.v1+json"
#define OCI_MT_KERNEL "application/vnd.unik.kernel.v1"
#define OCI_MT_INITRD "application/vnd.unik.initrd.v1"

#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ANN_TITLE "org.opencontainers.image.title"
#define OCI_ANN_KIND "org.unik.kind"
#define OCI_ANN_FORMAT "org.unik.format"
#define OCI_ANN_COMPILER "org.unik.compiler"
#define OCI_ANN_ARGS "org.unik.args"
#define OCI_ANN_MEMORY "org.unik.memory"
#define OCI_ANN_DIGEST "org.unik.digest"
#define OCI_ANN_ROLE "org.unik.role"

#define OCI_KIND_ARTIFACT "artifact"
#define OCI_KIND_RUNNABLE "runnable"
#define OCI_ROOTFS_ROLE "rootfs" /* org.unik.role of the shared rootfs layer */

/* in the runnable rootfs: /unik/image.json, /unik/kernel, /unik/initrd */
#define OCI_IMAGE_JSON "image.json"
#define OCI_KERNEL_FILE "kernel"
#define OCI_INITRD_FILE "initrd"

#define OCI_LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

/* the largest JSON blob (index, manifest, config) read from a layout */
#define OCI_MAX_JSON (4 << 20)

#endif
