#define _GNU_SOURCE
#include "fb_unix_socket.h"
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FB_MAX_FDS 16

ssize_t fb_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    union { char buf[CMSG_SPACE(sizeof(int) * FB_MAX_FDS)]; struct cmsghdr align; } control;
    if (nfds > FB_MAX_FDS) nfds = FB_MAX_FDS;
    if (nfds > 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

ssize_t fb_recv_with_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds, int *truncated) {
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    union { char buf[CMSG_SPACE(sizeof(int) * FB_MAX_FDS)]; struct cmsghdr align; } control;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    *nfds = 0;
    *truncated = 0;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_CTRUNC) *truncated = 1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int got[FB_MAX_FDS];
        if (count > FB_MAX_FDS) count = FB_MAX_FDS;
        memcpy(got, CMSG_DATA(c), sizeof(int) * count);
        for (int i = 0; i < count; i++) {
            if (*nfds < maxfds) fds[(*nfds)++] = got[i];
            else { close(got[i]); *truncated = 1; }
        }
    }
    return n;
}
