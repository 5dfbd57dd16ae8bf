# providers/mock - the mock providers, for the daemon's unit tests only: the
# tests that link MOCK_SRCS leave out providers/registry.c (tests/tests.mk).
MOCK_SRCS := providers/mock/mock.c providers/mock/mock_ctl.c providers/mock/mock_publish.c providers/mock/mock_registry.c
