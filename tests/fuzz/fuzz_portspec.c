/* fuzz_portspec.c - the -p port mapping parser (lib/portspec.c).
 *
 * Input: the mapping as it arrives in a run request's "ports" array (a JSON
 * string: valid UTF-8, no NUL; other inputs are skipped).
 * Promises checked:
 *   - an accepted mapping has an IPv4 host address and ports in 1..65535,
 *     its canonical text fits the 48 bytes api/types.c gives it, and that
 *     text parses back to the same mapping;
 *   - a refused mapping gets an error that can be sent as a JSON error body.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <string.h>

#include "../../api/types.h"
#include "../../lib/portspec.h"
#include "fuzz.h"

static void check_sendable(const struct unik_err *err)
{
	json_t *j = unik_error_to_json(err);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	FUZZ_CHECK(text, "the port mapping error cannot be sent as JSON: \"%s\"", err->msg);
	free(text);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct portspec ps, again;
	struct in_addr a;
	char canon[48];
	char *s;

	if (!fuzz_json_string_ok(data, size))
		return 0;
	s = fuzz_cstr(data, size);
	if (portspec_parse(s, &ps, &err)) {
		check_sendable(&err);
		free(s);
		return 0;
	}
	FUZZ_CHECK(inet_pton(AF_INET, ps.host_ip, &a) == 1, "'%s': host address '%s' kept", s,
		   ps.host_ip);
	FUZZ_CHECK(ps.host_port >= 1 && ps.host_port <= 65535 && ps.guest_port >= 1 &&
		       ps.guest_port <= 65535,
		   "'%s': ports %d:%d kept", s, ps.host_port, ps.guest_port);
	portspec_format(&ps, canon, sizeof(canon));
	FUZZ_CHECK(strlen(canon) < sizeof(canon) - 1, "'%s': canonical text '%s' truncated", s,
		   canon);
	FUZZ_CHECK(portspec_parse(canon, &again, &err) == 0, "'%s': canonical '%s' refused: %s", s,
		   canon, err.msg);
	FUZZ_CHECK(!strcmp(again.host_ip, ps.host_ip) && again.host_port == ps.host_port &&
		       again.guest_port == ps.guest_port && again.udp == ps.udp,
		   "'%s': canonical '%s' parses to another mapping", s, canon);
	free(s);
	return 0;
}
