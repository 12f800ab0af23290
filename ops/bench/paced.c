// paced: an open-loop HTTP/1.1 load generator with evenly spaced arrivals, for latency at a fixed rate.
//   paced HOST PORT PATH RATE SECONDS CONNECTIONS LOGFILE [BODYFILE [HEADER ...]]
//   paced -l REQUESTS NAMES HOST PORT PATH RATE SECONDS CONNECTIONS LOGFILE [HEADER ...]
// Request k is due at start + k / RATE and goes out on connection k mod CONNECTIONS (keep-alive, one request at a
// time each). A request due while its connection is still busy is sent as soon as the connection is free, and its
// latency counts from when it was due, not sent (no coordinated omission). LOGFILE gets one line per request in
// h2load's --log-file layout (due time in us since the epoch, status, latency in us) plus the send lag in us.
// Without -l every request is the same (GET, or POST of BODYFILE). With -l each request is one line of REQUESTS (a
// file or a FIFO, read ahead while the load runs): the values of the headers NAMES (comma-separated), each followed
// by a tab, then the body, POSTed; for requests that cannot be reused, such as token exchanges with single-use
// DPoP proofs. A request due before its line has been read waits for it and counts as starved (the source, not the
// server, was late); the latency still counts from the due time.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    long sent;          // requests sent on this connection; the next one is index conn + sent * C
    int busy;
    long long due_ns;   // due time of the request in flight
    long long sent_ns;
    int starved;        // its next request was due before the source had a line for it
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

// -l: requests read ahead from a file or FIFO into a ring of ready-to-send byte strings
#define QCAP 16384
#define LINEBUF (4 << 20)
static struct { char *data; int len; } queue[QCAP];
static long q_head, q_tail;   // pop at head, push at tail
static int src_fd = -1, src_eof, src_pollable, nnames;
static char *names[16], *lbuf, *fixed_head;
static size_t llen;
static long lines_read;

// one line -> "POST PATH HTTP/1.1 ... NAME: value ... Content-Length: n \r\n\r\n body"
static void push_line(char *line, size_t n) {
    char *f[17]; size_t fl[17]; int k = 0; char *p = line, *end = line + n;
    while (k < nnames) {
        char *tab = memchr(p, '\t', end - p);
        if (!tab) { fprintf(stderr, "paced: a request line has fewer than %d tab-separated headers\n", nnames); exit(2); }
        f[k] = p; fl[k] = tab - p; k++; p = tab + 1;
    }
    size_t blen = end - p, cap = strlen(fixed_head) + blen + 64;
    for (int i = 0; i < nnames; i++) cap += strlen(names[i]) + fl[i] + 4;
    char *r = malloc(cap);
    int m = sprintf(r, "%s", fixed_head);
    for (int i = 0; i < nnames; i++) m += sprintf(r + m, "%s: %.*s\r\n", names[i], (int) fl[i], f[i]);
    m += sprintf(r + m, "Content-Length: %zu\r\n\r\n", blen);
    memcpy(r + m, p, blen); m += blen;
    queue[q_tail % QCAP].data = r; queue[q_tail % QCAP].len = m; q_tail++; lines_read++;
}

// Moves complete lines from the buffer to the queue while it has room; reads more when the source has it.
// Returns without blocking unless block is set (then it waits until the queue holds want or the source ends).
static void refill(long want, int block) {
    for (;;) {
        char *nl;
        while (q_tail - q_head < QCAP && (nl = memchr(lbuf, '\n', llen))) {
            size_t n = nl - lbuf;
            if (n > 0 && lbuf[n - 1] == '\r') n--;
            if (n > 0) push_line(lbuf, n);
            llen -= nl - lbuf + 1;
            memmove(lbuf, nl + 1, llen);
        }
        if (src_eof || q_tail - q_head >= QCAP) return;
        if (llen == LINEBUF) { fprintf(stderr, "paced: a request line is longer than %d bytes\n", LINEBUF); exit(2); }
        ssize_t r = read(src_fd, lbuf + llen, LINEBUF - llen);
        if (r > 0) { llen += r; continue; }
        if (r == 0) { src_eof = 1; return; }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) die("read requests");
        if (!block || q_tail - q_head >= want) return;
        fd_set s; FD_ZERO(&s); FD_SET(src_fd, &s);
        select(src_fd + 1, &s, NULL, NULL, NULL);
    }
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *src = NULL;
    if (argc > 3 && strcmp(argv[1], "-l") == 0) {
        src = argv[2];
        for (char *s = strtok(strdup(argv[3]), ","); s && nnames < 16; s = strtok(NULL, ",")) names[nnames++] = s;
        argv += 3; argc -= 3;
    }
    if (argc < 8) {
        fprintf(stderr, "usage: paced [-l REQUESTS NAMES] HOST PORT PATH RATE SECONDS CONNECTIONS LOGFILE [BODYFILE] [HEADER ...]\n");
        return 2;
    }
    const char *host = argv[1], *port = argv[2], *path = argv[3];
    double rate = atof(argv[4]);
    double secs = atof(argv[5]);
    int nconn = atoi(argv[6]);
    const char *logfile = argv[7];
    if (rate <= 0 || secs <= 0 || nconn <= 0) { fprintf(stderr, "paced: RATE, SECONDS, CONNECTIONS > 0\n"); return 2; }
    long total = (long) (rate * secs);

    char *body = NULL; long blen = 0; int first_header = 8;
    if (!src && argc > 8) {
        FILE *f = fopen(argv[8], "rb");
        if (!f) die(argv[8]);
        fseek(f, 0, SEEK_END); blen = ftell(f); fseek(f, 0, SEEK_SET);
        body = malloc(blen + 1);
        if (fread(body, 1, blen, f) != (size_t) blen) die("read body");
        fclose(f);
        first_header = 9;
    }
    char req[16384]; int rlen = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", body || src ? "POST" : "GET", path, host, port);
    for (int i = first_header; i < argc; i++) rlen += snprintf(req + rlen, sizeof req - rlen, "%s\r\n", argv[i]);
    if (src) {
        fixed_head = strdup(req);
        lbuf = malloc(LINEBUF);
        src_fd = open(src, O_RDONLY);   // a FIFO: waits for its writer
        if (src_fd < 0) die(src);
        struct stat st; fstat(src_fd, &st);
        src_pollable = !S_ISREG(st.st_mode);
        fcntl(src_fd, F_SETFL, O_NONBLOCK);
        // A second's worth ready before the first is due, so the source's start-up is not in the figures.
        long want = total < QCAP ? total : QCAP; if (want > (long) rate) want = (long) rate;
        refill(want, 1);
        if (q_tail - q_head == 0) { fprintf(stderr, "paced: no requests in %s\n", src); return 2; }
    } else {
        if (body) rlen += snprintf(req + rlen, sizeof req - rlen, "Content-Length: %ld\r\n", blen);
        rlen += snprintf(req + rlen, sizeof req - rlen, "\r\n");
        if (body) { if (rlen + blen >= (long) sizeof req) { fprintf(stderr, "paced: body too large\n"); return 2; } memcpy(req + rlen, body, blen); rlen += blen; }
    }

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
    int src_watched = 0;   // the FIFO is in the epoll set only while the queue has room (else it would spin)
    if (src_pollable) {
        struct epoll_event ev = {.events = 0, .data.u32 = (unsigned) nconn};
        epoll_ctl(ep, EPOLL_CTL_ADD, src_fd, &ev);
    }
    rec_t *recs = calloc(total, sizeof *recs);
    long done = 0, sent = 0, errors = 0, starved = 0;
    double interval_ns = 1e9 / rate;
    struct timespec wall; clock_gettime(CLOCK_REALTIME, &wall);
    long long start = now_ns() + 100000000LL;  // first request 100 ms from now
    long long wall_start_us = (long long) wall.tv_sec * 1000000LL + wall.tv_nsec / 1000 + 100000LL;
    long long deadline = start + (long long) (secs * 1e9) + 5000000000LL;  // 5 s for the last answers
    long limit = total;   // fewer when the source ends early

#define DUE(i) (start + (long long) (((double) ((i) + c[i].sent * nconn)) * interval_ns))
    while (done < limit) {
        long long now = now_ns();
        if (now > deadline) break;
        long long next = deadline;
        if (src) refill(0, 0);
        for (int i = 0; i < nconn; i++) {
            long k = i + c[i].sent * nconn;
            if (c[i].busy || k >= limit) continue;
            long long due = DUE(i);
            if (due <= now) {
                const char *out = req; int olen = rlen;
                if (src) {
                    if (q_head == q_tail) {
                        if (src_eof) { limit = sent; fprintf(stderr, "paced: %s ended after %ld requests\n", src, lines_read); break; }
                        c[i].starved = 1;
                        continue;
                    }
                    out = queue[q_head % QCAP].data; olen = queue[q_head % QCAP].len;
                }
                ssize_t w = write(c[i].fd, out, olen);
                if (w != olen) die("write (a request must go out in one write)");
                if (src) { free(queue[q_head % QCAP].data); q_head++; starved += c[i].starved; c[i].starved = 0; }
                c[i].busy = 1; c[i].due_ns = due; c[i].sent_ns = now; c[i].sent++; sent++;
            } else if (due < next) {
                next = due;
            }
        }
        if (src_pollable) {
            int want = !src_eof && q_tail - q_head < QCAP;
            if (want != src_watched) {
                struct epoll_event ev = {.events = want ? EPOLLIN : 0, .data.u32 = (unsigned) nconn};
                epoll_ctl(ep, EPOLL_CTL_MOD, src_fd, &ev);
                src_watched = want;
            }
        }
        long long wait = next - now_ns();
        struct timespec to = {0, 0};
        if (wait > 0) { to.tv_sec = wait / 1000000000LL; to.tv_nsec = wait % 1000000000LL; }
        struct epoll_event evs[256];
        int n = epoll_pwait2(ep, evs, 256, &to, NULL);
        if (n < 0 && errno != EINTR) die("epoll_pwait2");
        for (int e = 0; e < n; e++) {
            if (evs[e].data.u32 == (unsigned) nconn) continue;   // the source: read at the top of the loop
            conn_t *x = &c[evs[e].data.u32];
            for (;;) {
                ssize_t r = read(x->fd, x->buf + x->len, sizeof x->buf - x->len);
                if (r > 0) { x->len += r; continue; }
                if (r == 0) { fprintf(stderr, "paced: the server closed a connection\n"); errors++; done = limit; break; }
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
    long ok = 0, nlag = 0;
    long long *lags = malloc((total + 1) * sizeof *lags);
    for (long k = 0; k < total; k++) {
        if (recs[k].status == 0) continue;
        if (recs[k].status < 300) ok++;
        lags[nlag++] = recs[k].lag_us;
        fprintf(log, "%lld\t%d\t%lld\t%lld\n", recs[k].due_us, recs[k].status, recs[k].lat_us, recs[k].lag_us);
    }
    fclose(log);
    qsort(lags, nlag, sizeof *lags, cmp_ll);
    printf("paced: %ld due, %ld sent, %ld answered (%ld 2xx), %ld errors, %.0f req/s over %d connections;"
           " send lag p50 %lld us, p99 %lld us, max %lld us; %ld sends waited for the request source\n",
           total, sent, done, ok, errors, rate, nconn, nlag ? lags[nlag / 2] : 0, nlag ? lags[(long) (nlag * 0.99)] : 0,
           nlag ? lags[nlag - 1] : 0, starved);
    return done == total && errors == 0 ? 0 : 1;
}
