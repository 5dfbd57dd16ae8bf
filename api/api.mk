API_SRCS += api/types.c
LINT_SRCS += $(wildcard api/*.c api/*.h)
