/*
 * A TCP delay line for benchmarks on a kernel without the netem qdisc.
 *
 *     delay-line LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS
 *
 * Accepts connections on LISTEN and relays each to TARGET. Bytes from TARGET back to the client
 * are held DELAY_MS after they arrive before they are sent on, in order, as
 * `tc qdisc add dev <the server's interface> root netem delay DELAY_MS` would hold the server's
 * packets; bytes towards TARGET pass at once. Prints "ready" when it listens.
 *
 * One thread, one epoll loop and one timerfd for every connection, so the relay itself costs the
 * machine little next to what it measures (netem costs the kernel next to nothing).
 * Built by the benchmarks that use it: cc -O2 -o delay-line bench/delay-line.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024

/* Bytes on their way in one direction: held chunks (due times) and, once due, a send buffer. */
struct chunk {
    uint64_t due_ns;
    size_t len;
    struct chunk *next;
    char data[];
};

struct side {
    int fd;
    char *out;         /* due bytes not yet written to fd */
    size_t out_len;
    int eof_pending;   /* the other side ended: shut fd's writing once everything is out */
    int shut;          /* fd's writing was shut */
    int ended;         /* fd's reading ended (no longer watched) */
};

struct conn {
    int used;
    struct side client, upstream;
    struct chunk *head, *tail; /* held bytes from upstream towards the client */
};

static struct conn conns[MAX_CONNS];
static int ep, timer;
static uint64_t delay_ns;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void parse(const char *s, struct sockaddr_in *a) {
    char host[256];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) {
        fprintf(stderr, "not HOST:PORT: %s\n", s);
        exit(2);
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
        fprintf(stderr, "not an IPv4 address: %s\n", host);
        exit(2);
    }
}

/* Tags in epoll data: connection index * 2 + 0 (client) or 1 (upstream). */
static void watch(int fd, uint32_t events, uint64_t tag, int op) {
    struct epoll_event e = {.events = events, .data.u64 = tag};
    epoll_ctl(ep, op, fd, &e);
}

static void close_conn(int i) {
    struct conn *c = &conns[i];
    close(c->client.fd);
    close(c->upstream.fd);
    free(c->client.out);
    free(c->upstream.out);
    while (c->head) {
        struct chunk *n = c->head->next;
        free(c->head);
        c->head = n;
    }
    memset(c, 0, sizeof *c);
}

/* Writes what is due on side s; returns -1 when the peer is gone. */
static int flush_side(struct side *s, uint64_t tag) {
    while (s->out_len > 0) {
        ssize_t n = send(s->fd, s->out, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                watch(s->fd, (s->ended ? 0 : EPOLLIN) | EPOLLOUT, tag, EPOLL_CTL_MOD);
                return 0;
            }
            return -1;
        }
        memmove(s->out, s->out + n, s->out_len - (size_t)n);
        s->out_len -= (size_t)n;
    }
    if (!s->ended)
        watch(s->fd, EPOLLIN, tag, EPOLL_CTL_MOD);
    if (s->eof_pending && !s->shut) {
        shutdown(s->fd, SHUT_WR);
        s->shut = 1;
    }
    return 0;
}

/* Both directions are over: nothing more can pass. */
static int finished(const struct conn *c) {
    return c->client.ended && c->upstream.ended && c->client.shut && c->upstream.shut;
}

static void queue_out(struct side *s, const char *data, size_t len) {
    s->out = realloc(s->out, s->out_len + len);
    if (!s->out) {
        perror("realloc");
        exit(1);
    }
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
}

/* Arms the timer for the earliest held chunk of any connection. */
static void arm_timer(void) {
    uint64_t first = 0;
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used && conns[i].head && (!first || conns[i].head->due_ns < first))
            first = conns[i].head->due_ns;
    struct itimerspec t = {0};
    if (first) {
        t.it_value.tv_sec = (time_t)(first / 1000000000u);
        t.it_value.tv_nsec = (long)(first % 1000000000u);
    }
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &t, NULL);
}

/* Moves every due chunk to its client's send buffer and writes it. */
static void release_due(void) {
    uint64_t now = now_ns();
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &conns[i];
        if (!c->used || !c->head || c->head->due_ns > now)
            continue;
        while (c->head && c->head->due_ns <= now) {
            struct chunk *k = c->head;
            c->head = k->next;
            if (!c->head)
                c->tail = NULL;
            if (k->len == 0)
                c->client.eof_pending = 1; /* the upstream's end, held like its bytes */
            else
                queue_out(&c->client, k->data, k->len);
            free(k);
        }
        if (flush_side(&c->client, (uint64_t)i * 2) < 0 || finished(c))
            close_conn(i);
    }
}

static void hold(struct conn *c, const char *data, size_t len) {
    struct chunk *k = malloc(sizeof *k + len);
    if (!k) {
        perror("malloc");
        exit(1);
    }
    k->due_ns = now_ns() + delay_ns;
    k->len = len;
    k->next = NULL;
    memcpy(k->data, data, len);
    if (c->tail)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
}

static void accept_one(int listener, const struct sockaddr_in *target) {
    int client = accept4(listener, NULL, NULL, 0);
    if (client < 0)
        return;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    if (upstream < 0 || connect(upstream, (const struct sockaddr *)target, sizeof *target) < 0) {
        close(client);
        if (upstream >= 0)
            close(upstream);
        return;
    }
    int i = 0;
    while (i < MAX_CONNS && conns[i].used)
        i++;
    if (i == MAX_CONNS) {
        close(client);
        close(upstream);
        return;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = &conns[i];
    memset(c, 0, sizeof *c);
    c->used = 1;
    c->client.fd = client;
    c->upstream.fd = upstream;
    /* Reads and writes never wait: MSG_DONTWAIT on each. */
    watch(client, EPOLLIN, (uint64_t)i * 2, EPOLL_CTL_ADD);
    watch(upstream, EPOLLIN, (uint64_t)i * 2 + 1, EPOLL_CTL_ADD);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: delay-line LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS\n");
        return 2;
    }
    struct sockaddr_in listen_at, target;
    parse(argv[1], &listen_at);
    parse(argv[2], &target);
    delay_ns = (uint64_t)(atof(argv[3]) * 1e6);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&listen_at, sizeof listen_at) < 0 || listen(listener, 64) < 0) {
        perror("listen");
        return 1;
    }
    ep = epoll_create1(0);
    timer = timerfd_create(CLOCK_MONOTONIC, 0);
    const uint64_t LISTENER = UINT64_MAX, TIMER = UINT64_MAX - 1;
    watch(listener, EPOLLIN, LISTENER, EPOLL_CTL_ADD);
    watch(timer, EPOLLIN, TIMER, EPOLL_CTL_ADD);
    printf("ready\n");
    fflush(stdout);
    char buf[65536];
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(ep, events, 64, -1);
        for (int e = 0; e < n; e++) {
            uint64_t tag = events[e].data.u64;
            if (tag == LISTENER) {
                accept_one(listener, &target);
                continue;
            }
            if (tag == TIMER) {
                uint64_t expirations;
                if (read(timer, &expirations, sizeof expirations) < 0) { /* spurious */ }
                release_due();
                continue;
            }
            int i = (int)(tag / 2);
            struct conn *c = &conns[i];
            if (!c->used)
                continue;
            if ((tag % 2 ? c->upstream.ended : c->client.ended) && !(events[e].events & EPOLLOUT))
                continue;
            int from_upstream = (int)(tag % 2);
            struct side *src = from_upstream ? &c->upstream : &c->client;
            struct side *dst = from_upstream ? &c->client : &c->upstream;
            if (events[e].events & EPOLLOUT) {
                if (flush_side(src, tag) < 0) {
                    close_conn(i);
                    continue;
                }
            }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            ssize_t got = recv(src->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                continue;
            if (got <= 0) {
                /* This side ended: pass the end on (after the held bytes, towards the client). */
                src->ended = 1;
                epoll_ctl(ep, EPOLL_CTL_DEL, src->fd, NULL);
                if (from_upstream && delay_ns) {
                    hold(c, buf, 0);
                } else {
                    dst->eof_pending = 1;
                    if (flush_side(dst, tag ^ 1) < 0) {
                        close_conn(i);
                        continue;
                    }
                }
                if (finished(c))
                    close_conn(i);
                continue;
            }
            if (from_upstream && delay_ns) {
                hold(c, buf, (size_t)got);
            } else {
                queue_out(dst, buf, (size_t)got);
                if (flush_side(dst, tag ^ 1) < 0) {
                    close_conn(i);
                    continue;
                }
            }
        }
        arm_timer();
    }
}
