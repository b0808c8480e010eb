/* libwrap_dummy.so — stands for a library the user already preloads, so the
 * tests can see that kashim keeps it (its path shows in /proc/self/maps). */
int wrap_dummy_marker(void);
int wrap_dummy_marker(void)
{
	return 42;
}
