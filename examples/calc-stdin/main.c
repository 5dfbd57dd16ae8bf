/* calc-stdin: a tiny calculator that reads its standard input line by line
 * (`unik run -i`).  "A OP B" (OP one of + - * /) prints the result, any
 * other line is echoed back as "echo: LINE".  At end of input it prints
 * "bye after N lines" and exits with N (modulo 256).  With the argument
 * "poll" it waits in poll(2) for input before each read, to show that
 * poll sees standard input become readable; with "spin" a second thread
 * computes all along, to show that input reaches a reader while another
 * thread keeps the CPU busy. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int wait_readable(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	if (poll(&p, 1, -1) != 1 || !(p.revents & (POLLIN | POLLHUP))) {
		fprintf(stderr, "poll: fd 0 not readable (revents 0x%x)\n", p.revents);
		return -1;
	}
	return 0;
}

static volatile int done;

static void *spin(void *arg)
{
	volatile unsigned long x = 0;

	while (!done)
		x++;
	return NULL;
}

int main(int argc, char **argv)
{
	int use_poll = argc > 1 && !strcmp(argv[1], "poll");
	int use_spin = argc > 1 && !strcmp(argv[1], "spin");
	pthread_t spinner;
	char line[512];
	long n = 0;

	if (use_spin && pthread_create(&spinner, NULL, spin, NULL)) {
		fprintf(stderr, "no thread\n");
		return 101;
	}

	for (;;) {
		long a, b;
		char op;

		if (use_poll && wait_readable())
			return 100;
		if (!fgets(line, sizeof(line), stdin))
			break;
		n++;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%ld %c %ld", &a, &op, &b) == 3 && strchr("+-*/", op) &&
		    (op != '/' || b)) {
			long r = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;

			printf("%ld\n", r);
		} else {
			printf("echo: %s\n", line);
		}
		fflush(stdout);
	}
	if (use_spin) {
		done = 1;
		pthread_join(spinner, NULL);
	}
	printf("bye after %ld lines\n", n);
	return (int)(n & 0xff);
}
