/* Reading answers from the person at the terminal. */
#pragma once
#include <stddef.h>

/* Prints prompt and reads one line with echo off (from /dev/tty when there is one, else
 * from standard input).  Returns 0, or -EIO at end of input. */
int ctl_read_secret(const char *prompt, char *buf, size_t size);
/* Reads one line from standard input (echo as is). */
int ctl_read_line(char *buf, size_t size);
