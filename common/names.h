/* Validation of names that cross the socket: user, tty, service, host. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* User and service names: 1..max bytes, no '/', no "..", no control bytes, no space,
 * not starting with '-'. */
bool su_valid_user(const char *s);
bool su_valid_service(const char *s);
/* TTY names are taken relative to /dev ("pts/3", "tty1"): no "..", no control bytes, no
 * leading '/', and a '/' only in the kernel's "pts/N" form. */
bool su_valid_tty(const char *s);
/* Host names or addresses: letters, digits, '.', '-', ':', '_', '%', '[' ']'. */
bool su_valid_host(const char *s);
/* Strip a leading "/dev/" from a PAM_TTY value; returns a pointer into s. */
const char *su_tty_relative(const char *s);
