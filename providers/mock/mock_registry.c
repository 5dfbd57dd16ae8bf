/* mock_registry.c - the provider table of the daemon's unit tests, linked
 * in place of providers/registry.c (tests/tests.mk): only mock providers,
 * so the daemon's lifecycle runs against them as it would against real
 * ones. */
#include "../dispatch.h"
#include "mock.h"

const struct unik_provider *const unik_providers[] = {
	&unik_provider_mock,
	&unik_provider_mock_proc,
	&unik_provider_mock_nostop,
	&unik_provider_mock_none,
	NULL,
};
