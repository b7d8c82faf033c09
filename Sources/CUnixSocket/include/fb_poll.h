#ifndef FB_POLL_H
#define FB_POLL_H
#include <stdint.h>

/* epoll, eventfd and timerfd for the desk's and the control socket's threads, each waiting for its jobs and its
 * descriptors (clients, timers) in one epoll_wait. In C because Swift's Glibc module does not include <sys/epoll.h> and
 * `struct epoll_event` is packed on x86-64. */

#define FB_POLL_IN 0x001u       /* EPOLLIN */
#define FB_POLL_OUT 0x004u      /* EPOLLOUT */
#define FB_POLL_ERR 0x008u      /* EPOLLERR */
#define FB_POLL_HUP 0x010u      /* EPOLLHUP */
#define FB_POLL_RDHUP 0x2000u   /* EPOLLRDHUP */
#define FB_POLL_EDGE 0x80000000u /* EPOLLET */

/* An epoll instance (close-on-exec), or -1 (errno). */
int fb_poll_create(void);
/* Adds fd with events (FB_POLL_*), or changes them when it is already there. 0 or -1 (errno). */
int fb_poll_watch(int ep, int fd, uint32_t events);
int fb_poll_unwatch(int ep, int fd);
/* Waits up to timeout_ms (-1: no limit) and stores up to max ready descriptors and their events. Returns how
 * many, 0 on a time-out or EINTR, -1 on another error (errno). */
int fb_poll_wait(int ep, int *fds, uint32_t *events, int max, int timeout_ms);

/* A non-blocking, close-on-exec eventfd; signal adds one, drain reads it back to zero. */
int fb_event_create(void);
void fb_event_signal(int fd);
void fb_event_drain(int fd);

/* A non-blocking, close-on-exec timer that fires every interval_ms; drain reads its expirations. */
int fb_timer_create(long interval_ms);
void fb_timer_drain(int fd);
/* A non-blocking, close-on-exec timer that is not running; arm_once makes it fire once after delay_ns (at once
 * for 0 or less), replacing any earlier arming; disarm stops it. 0 or -1 (errno). */
int fb_timer_create_once(void);
int fb_timer_arm_once(int fd, long long delay_ns);
int fb_timer_disarm(int fd);
/* Nanoseconds until the timer fires (0: disarmed), or -1 (errno). */
long long fb_timer_remaining_ns(int fd);

/* Names the calling thread for the kernel (top -H, ps -L, /proc/PID/task/N/comm), cut to 15 bytes. */
int fb_thread_set_name(const char *name);

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int fb_accept_nonblocking(int listen_fd);

#endif
