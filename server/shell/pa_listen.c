/* The listeners and the gate.
 *
 * The server accepts connections itself rather than letting lws do it, for
 * three things lws 4.1 cannot be asked for:
 *   - a failed accept (no file descriptor left) pauses the listener for a
 *     while, doubling up to a second, instead of polling it again at once
 *     (which spun a core and wrote thousands of log lines a second);
 *   - the limits on connections (pa_service_accept) apply before anything
 *     is allocated, and a refused client gets a status line, not a reset;
 *   - request headers are awaited by the gate: a raw descriptor that peeks
 *     at the bytes without reading them, until the blank line that ends the
 *     headers arrives (then the socket goes to lws' HTTP server, which reads
 *     the same bytes), or max-header-bytes are there without it (431), or
 *     handshake-timeout passes (closed). Peeking keeps no buffer per
 *     connection: SO_RCVLOWAT makes poll wait for more bytes than already
 *     seen, and a request that comes in more than PA_GATE_PEEKS_MAX pieces
 *     is closed as too slow (each look copies what came so far again). */
#include "pa_transport.h"

#include "pa_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- listening ------------------------------------------------------------ */

static int open_socket(const char *address, int share, char *err, size_t size)
{
    char host[256], port[8];
    int portnum;
    if (pa_config_split_address(address, host, sizeof host, &portnum) != 0) {
        snprintf(err, size, "'%s' is not ADDR:PORT", address);
        return -1;
    }
    snprintf(port, sizeof port, "%d", portnum);
    int any = !strcmp(host, "*") || !strcmp(host, "0.0.0.0");
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai;
    hints.ai_family = any ? AF_INET : AF_UNSPEC;
    int rc = getaddrinfo(any ? NULL : host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, size, "%.100s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, zero = 0;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (share) /* each worker its own listener; the kernel spreads connections */
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (ai->ai_family == AF_INET6) /* "[::]" takes IPv4 clients too */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, PA_LISTEN_BACKLOG) != 0) {
        snprintf(err, size, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* "ADDR:PORT" of the socket as bound: the port the system chose for port 0. */
static void name_of(int fd, char *name, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[64] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        const void *a = ss.ss_family == AF_INET6
                            ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                            : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
        inet_ntop(ss.ss_family, a, host, sizeof host);
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(name, size, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

int pa__listen_probe(const char *address, char *bound, size_t size)
{
    char err[256];
    int fd = open_socket(address, 0, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "passerelle: cannot listen on %s (listen): %s\n", address, err);
        return -1;
    }
    name_of(fd, bound, size);
    close(fd);
    return 0;
}

int pa__listen(pa_server *srv, pa_listener *l, const char *address, int admin)
{
    char err[256];
    memset(l, 0, sizeof *l);
    l->srv = srv;
    l->admin = admin;
    l->fd = open_socket(address, srv->share_port && !admin, err, sizeof err);
    if (l->fd < 0) {
        fprintf(stderr, "passerelle: cannot listen on %s (%s): %s\n", address,
                admin ? "admin-listen" : "listen", err);
        return -1;
    }
    name_of(l->fd, l->name, sizeof l->name);
    lws_sock_file_fd_type fd = {.filefd = l->fd};
    l->wsi = lws_adopt_descriptor_vhost(admin ? srv->admin_vh : srv->public_vh,
                                        LWS_ADOPT_RAW_FILE_DESC, fd, "passerelle-listen", NULL);
    if (!l->wsi) {
        fprintf(stderr, "passerelle: cannot watch the listener on %s\n", address);
        close(l->fd);
        return -1;
    }
    return 0;
}

void pa__listen_close(pa_listener *l)
{
    lws_sul_cancel(&l->resume);
    if (l->wsi)
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static pa_listener *listener_of(pa_server *srv, struct lws *wsi)
{
    for (int i = 0; i < 2; i++)
        if (srv->listeners[i].wsi == wsi)
            return &srv->listeners[i];
    return NULL;
}

static void resume_accepting(lws_sorted_usec_list_t *sul)
{
    pa_listener *l = lws_container_of(sul, pa_listener, resume);
    if (l->wsi)
        lws_rx_flow_control(l->wsi, 1);
}

/* Out of descriptors (or memory): stop polling the listener for a while,
 * longer each time in a row, instead of failing again at once. */
static void pause_accepting(pa_server *srv, pa_listener *l, int error)
{
    l->pause_ms = l->pause_ms ? l->pause_ms * 2 : PA_ACCEPT_PAUSE_MIN_MS;
    if (l->pause_ms > PA_ACCEPT_PAUSE_MAX_MS)
        l->pause_ms = PA_ACCEPT_PAUSE_MAX_MS;
    pa_service_count_accept_failure(srv->svc);
    pa_log("passerelle: accept failed (%s); accepting again in %u ms", strerror(error),
           l->pause_ms);
    lws_rx_flow_control(l->wsi, 0);
    lws_sul_schedule(srv->ctx, 0, &l->resume, resume_accepting,
                     (lws_usec_t)l->pause_ms * LWS_US_PER_MS);
}

/* ---- short answers on a bare socket --------------------------------------- */

/* Reads and drops what the client sent, so that closing does not reset the
 * connection before it reads the answer. Returns 1 at the end of its
 * stream, else 0. */
static int drain(int fd)
{
    char sink[4096];
    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0)
            return 1;
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    return 0;
}

static void send_status(int fd, int status, const char *body)
{
    char response[512];
    int n = snprintf(response, sizeof response,
                     "HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                     "content-length: %zu\r\nretry-after: 10\r\nconnection: close\r\n\r\n%s\n",
                     status, pa__http_reason(status), strlen(body) + 1, body);
    (void)!send(fd, response, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static const char *refusal_text(pa_refusal r)
{
    switch (r) {
    case PA_REFUSE_PER_ADDRESS: return "too many connections from your address";
    case PA_REFUSE_HEADERS_TOO_LARGE: return "request headers too large";
    default: return "the server is busy; try again in a moment";
    }
}

static void refuse_now(int fd, pa_refusal r)
{
    drain(fd);
    send_status(fd, pa_refusal_status(r), refusal_text(r));
    shutdown(fd, SHUT_WR);
    close(fd);
}

/* ---- accepting ------------------------------------------------------------ */

void pa__socket_gone(pa_server *srv, struct lws *wsi)
{
    void *token = lws_get_opaque_user_data(wsi);
    if (!token)
        return;
    lws_set_opaque_user_data(wsi, NULL);
    if (token == srv->adopting)
        srv->adopting = NULL; /* a failed adoption: adopt() must not give it back too */
    if (token == &srv->admin_token)
        srv->admin_sockets--;
    else
        pa_service_socket_closed(srv->svc, token == &srv->proxy_token ? NULL : token,
                                 lws_now_usecs());
}

/* Gives back the accounting of a connection no wsi took over. */
static void give_back(pa_server *srv, void *token)
{
    if (token == &srv->admin_token)
        srv->admin_sockets--;
    else
        pa_service_socket_closed(srv->svc, token == &srv->proxy_token ? NULL : token,
                                 lws_now_usecs());
}

/* Adopts fd into vh as protocol (NULL: HTTP), the accounting token as the
 * new wsi's opaque user data (pa__socket_gone gives it back). On failure,
 * gives it back unless lws reported the wsi's destruction (which did), and
 * closes fd unless lws did (it closes the sockets it fails to adopt). */
static struct lws *adopt(pa_server *srv, struct lws_vhost *vh, int fd, const char *protocol,
                         void *token)
{
    lws_adopt_desc_t info;
    memset(&info, 0, sizeof info);
    info.vh = vh;
    info.vh_prot_name = protocol;
    info.opaque = token;
    if (protocol) {
        info.type = LWS_ADOPT_RAW_FILE_DESC;
        info.fd.filefd = fd;
    } else {
        info.type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP;
        info.fd.sockfd = fd;
    }
    srv->adopting = token;
    struct lws *wsi = lws_adopt_descriptor_vhost_via_info(&info);
    int given_back = srv->adopting == NULL;
    srv->adopting = NULL;
    if (wsi)
        return wsi;
    if (protocol)
        close(fd);
    if (!given_back)
        give_back(srv, token);
    return NULL;
}

static void start_gate(pa_server *srv, pa_listener *l, int fd, void *token)
{
    struct lws *wsi =
        adopt(srv, l->admin ? srv->admin_vh : srv->public_vh, fd, "passerelle-gate", token);
    if (!wsi)
        return;
    pa_gate *g = lws_wsi_user(wsi);
    memset(g, 0, sizeof *g);
    g->started = lws_now_usecs();
    pa__set_timeout_us(wsi, (lws_usec_t)srv->cfg->handshake_timeout_ms * LWS_US_PER_MS);
}

static void admit(pa_server *srv, pa_listener *l, int fd, const struct sockaddr *peer)
{
    void *token;
    if (l->admin) {
        if (srv->admin_sockets >= srv->cfg->admin_max_connections) {
            pa_service_count_refusal(srv->svc, PA_REFUSE_ADMIN_CONNECTIONS);
            refuse_now(fd, PA_REFUSE_ADMIN_CONNECTIONS);
            return;
        }
        srv->admin_sockets++;
        token = &srv->admin_token;
    } else {
        pa_peer *entry;
        pa_refusal r = pa_service_accept(srv->svc, peer, &entry, lws_now_usecs());
        if (r != PA_ADMIT) {
            refuse_now(fd, r);
            return;
        }
        token = entry ? (void *)entry : &srv->proxy_token;
    }
    start_gate(srv, l, fd, token);
}

static void accept_batch(pa_server *srv, pa_listener *l)
{
    for (int i = 0; i < PA_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            pause_accepting(srv, l, errno); /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
            return;
        }
        l->pause_ms = 0;
        /* replies are small frames written whole: sent at once, not held by
         * Nagle until the client's delayed ACK (40 ms a question) */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        admit(srv, l, fd, (struct sockaddr *)&peer);
    }
}

int pa__listen_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason)
{
    pa_listener *l = listener_of(srv, wsi);
    if (!l)
        return 0;
    if (reason == LWS_CALLBACK_RAW_RX_FILE)
        accept_batch(srv, l);
    else if (reason == LWS_CALLBACK_RAW_CLOSE_FILE)
        l->wsi = NULL;
    return 0;
}

/* ---- the gate ------------------------------------------------------------- */

static void set_lowat(int fd, size_t bytes)
{
    int n = bytes > (size_t)INT32_MAX ? INT32_MAX : (int)bytes;
    setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &n, sizeof n);
}

static int headers_complete(const char *p, size_t n)
{
    return memmem(p, n, "\r\n\r\n", 4) || memmem(p, n, "\n\n", 2);
}

/* The headers are all there: the socket goes to lws' HTTP server (a copy of
 * the descriptor: closing the gate closes its own), with the accounting. */
static int hand_over(pa_server *srv, struct lws *wsi, pa_gate *g, int fd)
{
    set_lowat(fd, 1);
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return -1; /* the gate's close gives the accounting back */
    void *token = lws_get_opaque_user_data(wsi);
    lws_set_opaque_user_data(wsi, NULL);
    g->handed_over = 1;
    adopt(srv, lws_get_vhost(wsi), copy, NULL, token);
    return -1;
}

static int refuse_headers(pa_server *srv, struct lws *wsi, pa_gate *g, int fd)
{
    pa_service_count_refusal(srv->svc, PA_REFUSE_HEADERS_TOO_LARGE);
    set_lowat(fd, 1);
    drain(fd);
    send_status(fd, 431, refusal_text(PA_REFUSE_HEADERS_TOO_LARGE));
    shutdown(fd, SHUT_WR);
    g->lingering = 1;
    pa__set_timeout_us(wsi, PA_LINGER_MS * LWS_US_PER_MS);
    return 0;
}

static int gate_readable(pa_server *srv, struct lws *wsi, pa_gate *g)
{
    int fd = lws_get_socket_fd(wsi);
    if (g->lingering)
        return drain(fd) ? -1 : 0;
    size_t limit = srv->cfg->max_header_bytes;
    ssize_t n = recv(fd, srv->peek, limit + 1, MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    if (headers_complete(srv->peek, (size_t)n))
        return hand_over(srv, wsi, g, fd);
    if ((size_t)n > limit)
        return refuse_headers(srv, wsi, g, fd);
    if ((size_t)n == g->peeked)
        return -1; /* readable without a new byte: the client closed its side */
    if (++g->peeks >= PA_GATE_PEEKS_MAX) {
        pa_service_count_close(srv->svc, PA_CLOSE_HANDSHAKE); /* a byte at a time */
        return -1;
    }
    g->peeked = (size_t)n;
    set_lowat(fd, g->peeked + 1);
    return 0;
}

int pa__gate_event(pa_server *srv, struct lws *wsi, enum lws_callback_reasons reason, void *user)
{
    pa_gate *g = user;
    if (!g)
        return 0;
    if (reason == LWS_CALLBACK_RAW_RX_FILE)
        return gate_readable(srv, wsi, g);
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE && !g->handed_over && !g->lingering &&
        lws_now_usecs() - g->started >= srv->cfg->handshake_timeout_ms * LWS_US_PER_MS)
        pa_service_count_close(srv->svc, PA_CLOSE_HANDSHAKE);
    return 0;
}
