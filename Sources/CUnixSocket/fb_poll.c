#define _GNU_SOURCE
#include "fb_poll.h"
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

_Static_assert(EPOLLIN == 0x001 && EPOLLOUT == 0x004 && EPOLLERR == 0x008 && EPOLLHUP == 0x010 && EPOLLRDHUP == 0x2000
               && EPOLLET == (1u << 31), "epoll flags");

int fb_poll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int fb_poll_watch(int ep, int fd, uint32_t events) {
    struct epoll_event ev = { .events = events, .data = { .fd = fd } };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
    if (errno != EEXIST) return -1;
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

int fb_poll_unwatch(int ep, int fd) { return epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); }

int fb_poll_wait(int ep, int *fds, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(ep, evs, max, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        fds[i] = evs[i].data.fd;
        events[i] = evs[i].events;
    }
    return n;
}

int fb_event_create(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void fb_event_signal(int fd) {
    uint64_t one = 1;
    while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void fb_event_drain(int fd) {
    uint64_t count;
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {}
}

int fb_timer_create(long interval_ms) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) return -1;
    struct timespec every = { .tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L };
    struct itimerspec spec = { .it_interval = every, .it_value = every };
    if (timerfd_settime(fd, 0, &spec, NULL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int fb_timer_create_once(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

int fb_timer_arm_once(int fd, long long delay_ns) {
    if (delay_ns <= 0) delay_ns = 1; /* an it_value of zero would disarm it */
    struct itimerspec spec = { .it_interval = { 0, 0 },
                               .it_value = { .tv_sec = delay_ns / 1000000000LL, .tv_nsec = delay_ns % 1000000000LL } };
    return timerfd_settime(fd, 0, &spec, NULL);
}

int fb_timer_disarm(int fd) {
    struct itimerspec spec = { { 0, 0 }, { 0, 0 } };
    return timerfd_settime(fd, 0, &spec, NULL);
}

long long fb_timer_remaining_ns(int fd) {
    struct itimerspec spec;
    if (timerfd_gettime(fd, &spec) != 0) return -1;
    return (long long)spec.it_value.tv_sec * 1000000000LL + spec.it_value.tv_nsec;
}

void fb_timer_drain(int fd) {
    uint64_t count;
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR) {}
}

int fb_accept_nonblocking(int listen_fd) {
    int fd;
    do { fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); } while (fd < 0 && errno == EINTR);
    return fd;
}

int fb_thread_set_name(const char *name) {
    char shortName[16];
    strncpy(shortName, name, sizeof shortName - 1);
    shortName[sizeof shortName - 1] = 0;
    return pthread_setname_np(pthread_self(), shortName);
}
