// paced: an open-loop HTTP/1.1 load generator with evenly spaced arrivals, for latency at a fixed rate.
//   paced HOST PORT PATH RATE SECONDS CONNECTIONS LOGFILE [BODYFILE [HEADER ...]]
// Request k is due at start + k / RATE and goes out on connection k mod CONNECTIONS (keep-alive, one request at a
// time each). A request due while its connection is still busy is sent as soon as the connection is free, and its
// latency counts from when it was due, not sent (no coordinated omission). LOGFILE gets one line per request in
// h2load's --log-file layout (due time in us since the epoch, status, latency in us) plus the send lag in us.
// h2load --rps ticks every connection in step (at least every 10 ms) and sends all that is due at each tick, so its
// arrivals come in bursts; this is what ops/bench/http.sh's `paced` scenario measures beside it.
// Build: gcc -O2 -o paced paced.c (a benchmark tool: not part of the release or the tests).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    long sent;          // requests sent on this connection; the next one is index conn + sent * C
    int busy;
    long long due_ns;   // due time of the request in flight
    long long sent_ns;
    char buf[65536];
    size_t len;
} conn_t;

typedef struct { long long due_us; int status; long long lat_us; long long lag_us; } rec_t;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) { perror(what); exit(2); }

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: paced HOST PORT PATH RATE SECONDS CONNECTIONS LOGFILE [BODYFILE [HEADER ...]]\n");
        return 2;
    }
    const char *host = argv[1], *port = argv[2], *path = argv[3];
    double rate = atof(argv[4]);
    double secs = atof(argv[5]);
    int nconn = atoi(argv[6]);
    const char *logfile = argv[7];
    if (rate <= 0 || secs <= 0 || nconn <= 0) { fprintf(stderr, "paced: RATE, SECONDS, CONNECTIONS > 0\n"); return 2; }

    char *body = NULL; long blen = 0;
    if (argc > 8) {
        FILE *f = fopen(argv[8], "rb");
        if (!f) die(argv[8]);
        fseek(f, 0, SEEK_END); blen = ftell(f); fseek(f, 0, SEEK_SET);
        body = malloc(blen + 1);
        if (fread(body, 1, blen, f) != (size_t) blen) die("read body");
        fclose(f);
    }
    char req[16384]; int rlen = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", body ? "POST" : "GET", path, host, port);
    for (int i = 9; i < argc; i++) rlen += snprintf(req + rlen, sizeof req - rlen, "%s\r\n", argv[i]);
    if (body) rlen += snprintf(req + rlen, sizeof req - rlen, "Content-Length: %ld\r\n", blen);
    rlen += snprintf(req + rlen, sizeof req - rlen, "\r\n");
    if (body) { if (rlen + blen >= (long) sizeof req) { fprintf(stderr, "paced: body too large\n"); return 2; } memcpy(req + rlen, body, blen); rlen += blen; }

    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) { fprintf(stderr, "paced: cannot resolve %s\n", host); return 2; }
    int ep = epoll_create1(0);
    conn_t *c = calloc(nconn, sizeof *c);
    for (int i = 0; i < nconn; i++) {
        c[i].fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (c[i].fd < 0 || connect(c[i].fd, ai->ai_addr, ai->ai_addrlen) != 0) die("connect");
        int one = 1; setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
    }
    long total = (long) (rate * secs);
    rec_t *recs = calloc(total, sizeof *recs);
    long done = 0, sent = 0, errors = 0;
    double interval_ns = 1e9 / rate;
    struct timespec wall; clock_gettime(CLOCK_REALTIME, &wall);
    long long start = now_ns() + 100000000LL;  // first request 100 ms from now
    long long wall_start_us = (long long) wall.tv_sec * 1000000LL + wall.tv_nsec / 1000 + 100000LL;
    long long deadline = start + (long long) (secs * 1e9) + 5000000000LL;  // 5 s for the last answers

#define DUE(i) (start + (long long) (((double) ((i) + c[i].sent * nconn)) * interval_ns))
    while (done < total) {
        long long now = now_ns();
        if (now > deadline) break;
        long long next = deadline;
        for (int i = 0; i < nconn; i++) {
            long k = i + c[i].sent * nconn;
            if (c[i].busy || k >= total) continue;
            long long due = DUE(i);
            if (due <= now) {
                ssize_t w = write(c[i].fd, req, rlen);
                if (w != rlen) die("write (a request must go out in one write)");
                c[i].busy = 1; c[i].due_ns = due; c[i].sent_ns = now; c[i].sent++; sent++;
            } else if (due < next) {
                next = due;
            }
        }
        long long wait = next - now_ns();
        struct timespec to = {0, 0};
        if (wait > 0) { to.tv_sec = wait / 1000000000LL; to.tv_nsec = wait % 1000000000LL; }
        struct epoll_event evs[256];
        int n = epoll_pwait2(ep, evs, 256, &to, NULL);
        if (n < 0 && errno != EINTR) die("epoll_pwait2");
        for (int e = 0; e < n; e++) {
            conn_t *x = &c[evs[e].data.u32];
            for (;;) {
                ssize_t r = read(x->fd, x->buf + x->len, sizeof x->buf - x->len);
                if (r > 0) { x->len += r; continue; }
                if (r == 0) { fprintf(stderr, "paced: the server closed a connection\n"); errors++; done = total; break; }
                if (errno == EAGAIN) break;
                die("read");
            }
            // one complete response? headers end, then Content-Length bytes
            while (x->busy) {
                char *end = memmem(x->buf, x->len, "\r\n\r\n", 4);
                if (!end) break;
                size_t hlen = end - x->buf + 4;
                long cl = 0;
                for (char *p = x->buf; p < end; p++) {
                    if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) { cl = atol(p + 16); break; }
                }
                if (x->len < hlen + cl) break;
                long long t = now_ns();
                long k = (x - c) + (x->sent - 1) * nconn;
                recs[k].due_us = wall_start_us + (x->due_ns - start) / 1000;
                recs[k].status = atoi(x->buf + 9);
                recs[k].lat_us = (t - x->due_ns) / 1000;
                recs[k].lag_us = (x->sent_ns - x->due_ns) / 1000;
                done++;
                memmove(x->buf, x->buf + hlen + cl, x->len - hlen - cl);
                x->len -= hlen + cl;
                x->busy = 0;
            }
        }
    }
    FILE *log = fopen(logfile, "w");
    if (!log) die(logfile);
    long ok = 0;
    for (long k = 0; k < total; k++) {
        if (recs[k].status == 0) continue;
        if (recs[k].status < 300) ok++;
        fprintf(log, "%lld\t%d\t%lld\t%lld\n", recs[k].due_us, recs[k].status, recs[k].lat_us, recs[k].lag_us);
    }
    fclose(log);
    printf("paced: %ld due, %ld sent, %ld answered (%ld 2xx), %ld errors, %.0f req/s over %d connections\n",
           total, sent, done, ok, errors, rate, nconn);
    return done == total && errors == 0 ? 0 : 1;
}
