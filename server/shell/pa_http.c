/* HTTP: the files of the web folder on the public listener, /healthz and
 * /metrics on the admin one, and short status responses.
 *
 * Files are served only from inside the web folder: the path must be plain
 * (no "." segment, hence no ".." and no hidden file), and its real path
 * (every symbolic link resolved) must be the path itself: a link anywhere
 * on the way, even one pointing inside the folder, is refused as not found.
 *
 * Every response closes its connection, so that each request passes the
 * gate (pa_listen.c) and its header limit; browsers open another one. */
#include "pa_transport.h"

#include "pa_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { PA_URI_MAX = 256 }; /* longest path served */

const char *pa__http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* Writes status, headers and body (unless head) in one go; lws keeps what
 * the socket does not take yet and sends it before closing. */
static int respond(struct lws *wsi, int status, const char *type, const char *body, size_t len,
                   int head)
{
    char headers[512];
    int n = snprintf(headers, sizeof headers,
                     "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\n"
                     "cache-control: no-store\r\nx-content-type-options: nosniff\r\n"
                     "connection: close\r\n\r\n",
                     status, pa__http_reason(status), type, len);
    size_t total = (size_t)n + (head ? 0 : len);
    unsigned char *buf = pa_xmalloc(LWS_PRE + total);
    memcpy(buf + LWS_PRE, headers, (size_t)n);
    if (!head)
        memcpy(buf + LWS_PRE + n, body, len);
    lws_write(wsi, buf + LWS_PRE, total, LWS_WRITE_HTTP_HEADERS);
    free(buf);
    return -1;
}

int pa__http_status(struct lws *wsi, int status, const char *body)
{
    char text[256];
    int n = snprintf(text, sizeof text, "%s\n", body);
    return respond(wsi, status, "text/plain; charset=utf-8", text, (size_t)n, 0);
}

static int admin_request(pa_server *srv, struct lws *wsi, const char *uri, int head)
{
    char *body;
    const char *type;
    if (!strcmp(uri, "/healthz")) {
        body = pa_service_health(srv->svc);
        type = "application/json";
    } else if (!strcmp(uri, "/metrics")) {
        body = pa_service_metrics(srv->svc);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        return pa__http_status(wsi, 404, "not found");
    }
    int rc = respond(wsi, 200, type, body, strlen(body), head);
    free(body);
    return rc;
}

/* A path made of plain segments: no "." or ".." or hidden file, no
 * backslash, no empty segment. */
static int plain_path(const char *uri)
{
    if (uri[0] != '/' || strlen(uri) >= PA_URI_MAX || strchr(uri, '\\'))
        return 0;
    for (const char *p = uri; *p; p++)
        if (p[0] == '/' && (p[1] == '.' || p[1] == '/'))
            return 0;
    return 1;
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *suffix, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        size_t n = strlen(types[i].suffix);
        if (len > n && !strcmp(path + len - n, types[i].suffix))
            return types[i].type;
    }
    const char *lws_type = lws_get_mimetype(path, NULL);
    return lws_type ? lws_type : "application/octet-stream";
}

static int serve_file(pa_server *srv, struct lws *wsi, const char *uri)
{
    if (!strcmp(uri, "/"))
        uri = "/index.html";
    char path[PATH_MAX + PA_URI_MAX], real[PATH_MAX];
    struct stat st;
    if (!srv->web_root[0] || !plain_path(uri))
        return pa__http_status(wsi, 404, "not found");
    snprintf(path, sizeof path, "%s%s", srv->web_root, uri);
    /* realpath resolves every link: a path that changes went through one */
    if (!realpath(path, real) || strcmp(real, path) || stat(real, &st) || !S_ISREG(st.st_mode))
        return pa__http_status(wsi, 404, "not found");
    static const char extra[] = "connection: close\r\n";
    int n = lws_serve_http_file(wsi, real, content_type(real), extra, (int)sizeof extra - 1);
    return n == 0 ? 0 : -1; /* 0: sending; else done or failed: close */
}

int pa__http_request(pa_server *srv, struct lws *wsi, const char *uri)
{
    int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    if (!get && !head)
        return pa__http_status(wsi, 405, "method not allowed");
    if (pa__is_admin(srv, wsi))
        return admin_request(srv, wsi, uri, head);
    return serve_file(srv, wsi, uri);
}
