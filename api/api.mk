API_SRCS += api/types.c api/volumes.c api/formats.c api/restart.c
LINT_SRCS += $(wildcard api/*.c api/*.h)
