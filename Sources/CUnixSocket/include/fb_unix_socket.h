#ifndef FB_UNIX_SOCKET_H
#define FB_UNIX_SOCKET_H
#include <stddef.h>
#include <sys/types.h>
#include "fb_poll.h"

/* File descriptors over a Unix stream socket (SCM_RIGHTS). In C because the CMSG_* macros that lay out the
 * control message are not visible to Swift. */

/* Sends up to len bytes with nfds descriptors attached to the first byte. Returns bytes sent or -1 (errno). */
ssize_t fb_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/* Receives up to len bytes; descriptors that came with them (close-on-exec) are stored in fds, at most maxfds,
 * their number in *nfds (extra ones are closed). *truncated is set when the control message was cut short.
 * Returns bytes received, 0 at end of stream, or -1 (errno). */
ssize_t fb_recv_with_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated);

#endif
