API_SRCS += api/types.c api/labels.c api/volumes.c api/formats.c api/oci_ref.c api/restart.c api/summon.c
LINT_SRCS += $(wildcard api/*.c api/*.h)
