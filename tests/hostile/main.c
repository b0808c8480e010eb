/* hostile: a program that is nothing but main(), to carry a preloaded
 * library's constructor (libh_early.so) and then make one connection of
 * its own. */
#include "hostile.h"

int main(void)
{
	int lis, port, c;

	lis = h_listener(&port);
	c = h_client(port);
	h_opts("main_out", c);
	close(c);
	close(lis);
	h_say("same main done");
	return 0;
}
