/* Linked with -static: no ELF interpreter, so LD_PRELOAD can never work and
 * `kashim --check` must say so.  Prints a line so a test sees it ran. */
#include <stdio.h>

int main(void)
{
	puts("static ran");
	return 0;
}
