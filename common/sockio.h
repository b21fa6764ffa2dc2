/* Blocking client side of the protocol with a deadline: used by the module and the CLI. */
#pragma once
#include "proto.h"

/* Connects to the Unix socket at path within timeout_ms.  Returns an fd (O_CLOEXEC) or
 * negative errno (-ETIMEDOUT, -ENOENT, -ECONNREFUSED, -ENAMETOOLONG...). */
int su_client_connect(const char *path, int timeout_ms);
/* Sends one framed message; the whole write must finish within timeout_ms. */
int su_client_send(int fd, const struct su_msg *m, int timeout_ms);
/* Receives one framed message within timeout_ms; -ECONNRESET on early close,
 * -EBADMSG/-EMSGSIZE/-EPROTO on a malformed reply. */
int su_client_recv(int fd, struct su_msg *m, int timeout_ms);
/* Send then receive. */
int su_client_call(int fd, const struct su_msg *req, struct su_msg *rep, int timeout_ms);
