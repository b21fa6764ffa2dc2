/* Asking the person at the ssh terminal for a code. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Shows note (may be NULL) and prompt on /dev/tty, reads one line into buf, with echo off
 * unless flags has SU_ASK_ECHO (client.h), and puts the terminal back, also when a signal
 * ends the program meanwhile.  Returns 0; -ENOTTY without a terminal; -ECANCELED for end of
 * input or an empty line (unless SU_ASK_ENTER: then an empty line is an answer); -E2BIG for
 * a line that does not fit (nothing of it is kept). */
int sshg_read_answer(const char *note, const char *prompt, unsigned flags, char *buf, size_t size);
