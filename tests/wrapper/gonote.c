/* A dynamic program carrying the note the Go linker writes into every ELF
 * it makes (section .note.go.buildid, owner "Go", type 4), without Go
 * itself: it checks that `kashim --check` recognises Go programs by that
 * note, since a Go program makes its socket calls without libc. */
#include <stdio.h>

struct go_note {
	unsigned namesz, descsz, type;
	char name[4];
	char desc[8];
};

__attribute__((used, section(".note.go.buildid"), aligned(4)))
static const struct go_note note = { 3, 8, 4, "Go", "buildid" };

int main(void)
{
	puts("gonote ran");
	return 0;
}
