/* What an idle server-side TLS connection keeps on the heap with OpenSSL 3, the server context
 * set up as Sipline's (core/transport/tls_context.cc: SSL_MODE_RELEASE_BUFFERS, no session
 * cache, TLS 1.2 minimum). N in-process pairs over socketpairs: handshake, one 400-byte request
 * and a 300-byte answer (an OPTIONS and its 200), the server reads until WANT_READ (its buffers
 * released), then the client side is freed; what the N server SSL objects still hold is
 * measured two ways: OpenSSL's live bytes (CRYPTO_set_mem_functions) and glibc's in-use bytes
 * (mallinfo2). A manual experiment for bench/run-conn-memory's figures, not built by make:
 *   cc -O2 -Wall -Wextra -o /tmp/tls-idle-probe bench/tls-idle-probe.c -lssl -lcrypto
 *   /tmp/tls-idle-probe N [1.2|1.3] [num_tickets|-1] [certs dir] [release_buffers 0|1]
 *   TRACE=1 /tmp/tls-idle-probe 1      # lists the allocations one idle connection keeps
 * Loopback-free (socketpairs); the certificate is test/certs/server.pem (TEST ONLY). */
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

static size_t live, nlive;
#define TMAX 20000
static struct { void *p; size_t n; const char *f; int l; } tr[TMAX];
static int tracking, ntr;
static void track(void *p, size_t n, const char *f, int l) { if (tracking && p && ntr < TMAX) { tr[ntr].p = p; tr[ntr].n = n; tr[ntr].f = f; tr[ntr].l = l; ntr++; } }
static void untrack(void *p) { if (!tracking || !p) return; for (int i = 0; i < ntr; i++) if (tr[i].p == p) { tr[i].p = NULL; return; } }
static void *m(size_t n, const char *f, int l) { (void)f; (void)l; void *p = malloc(n); if (p) { live += malloc_usable_size(p); nlive++; } track(p, n, f, l); return p; }
static void *r(void *p, size_t n, const char *f, int l) {
  size_t old = p ? malloc_usable_size(p) : 0; untrack(p); void *q = realloc(p, n); track(q, n, f, l);
  if (q || n == 0) { live -= old; if (q) live += malloc_usable_size(q); if (!p && q) nlive++; if (p && !q) nlive--; }
  return q; }
static void fr(void *p, const char *f, int l) { (void)f; (void)l; untrack(p); if (p) { live -= malloc_usable_size(p); nlive--; } free(p); }

static size_t used(void) { return mallinfo2().uordblks; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  const char *ver = argc > 2 ? argv[2] : "1.3";
  int tickets = argc > 3 ? atoi(argv[3]) : -1;   /* -1: OpenSSL default (2) */
  const char *certs = argc > 4 ? argv[4] : "test/certs";
  int release = argc > 5 ? atoi(argv[5]) : 1;
  CRYPTO_set_mem_functions(m, r, fr);
  char path[512], kpath[512];
  snprintf(path, sizeof path, "%s/server.pem", certs); snprintf(kpath, sizeof kpath, "%s/server.key", certs);
  SSL_CTX *s = SSL_CTX_new(TLS_server_method()), *c = SSL_CTX_new(TLS_client_method());
  if (!SSL_CTX_use_certificate_chain_file(s, path) || !SSL_CTX_use_PrivateKey_file(s, kpath, SSL_FILETYPE_PEM)) { ERR_print_errors_fp(stderr); return 1; }
  SSL_CTX_set_mode(s, (release ? SSL_MODE_RELEASE_BUFFERS : 0) | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(s, (const unsigned char *)"x", 1);
  if (tickets >= 0) SSL_CTX_set_num_tickets(s, (size_t)tickets);
  SSL_CTX_set_max_proto_version(c, strcmp(ver, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION);
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
  SSL **ss = calloc(n, sizeof *ss), **cs = calloc(n, sizeof *cs);
  int *fds = calloc(2 * n, sizeof *fds);
  char buf[4096], req[400], rsp[300];
  memset(req, 'q', sizeof req); memset(rsp, 'r', sizeof rsp);
  /* warm up one pair so one-time allocations (provider caches, ...) are not counted */
  for (int pass = 0; pass < 2; pass++) {
    int count = pass == 0 ? 1 : n;
    size_t u0 = used(), l0 = live, n0 = nlive, u_new = 0, l_new = 0;
    for (int i = 0; i < count; i++) {
      int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
      fcntl(sv[0], F_SETFL, O_NONBLOCK); fcntl(sv[1], F_SETFL, O_NONBLOCK);
      fds[2 * i] = sv[0]; fds[2 * i + 1] = sv[1];
      ss[i] = SSL_new(s); SSL_set_fd(ss[i], sv[0]); SSL_set_accept_state(ss[i]);
    }
    u_new = used() - u0; l_new = live - l0;
    for (int i = 0; i < count; i++) {
      cs[i] = SSL_new(c); SSL_set_fd(cs[i], fds[2 * i + 1]); SSL_set_connect_state(cs[i]);
      int sd = 0, cd = 0;
      for (int k = 0; k < 100 && !(sd && cd); k++) {
        if (!cd) cd = SSL_do_handshake(cs[i]) == 1;
        if (!sd) sd = SSL_do_handshake(ss[i]) == 1;
      }
      if (!(sd && cd)) { fprintf(stderr, "handshake %d failed\n", i); ERR_print_errors_fp(stderr); return 1; }
      SSL_write(cs[i], req, sizeof req);
      int got = 0;
      for (int k = 0; k < 10 && got < (int)sizeof req; k++) { int x = SSL_read(ss[i], buf, sizeof buf); if (x > 0) got += x; }
      SSL_write(ss[i], rsp, sizeof rsp);
      got = 0;
      for (int k = 0; k < 10 && got < (int)sizeof rsp; k++) { int x = SSL_read(cs[i], buf, sizeof buf); if (x > 0) got += x; }
      SSL_read(ss[i], buf, sizeof buf);  /* drained: WANT_READ, buffers released */
    }
    for (int i = 0; i < count; i++) { SSL_free(cs[i]); close(fds[2 * i + 1]); }
    size_t u1 = used(), l1 = live, n1 = nlive;
    if (pass == 1)
      printf("tls%s tickets=%s release_buffers=%d N=%d: per idle server connection: malloc in-use %.0f B, "
             "OpenSSL live %.0f B in %.1f allocations (SSL_new alone: malloc %.0f B, OpenSSL %.0f B); cipher %s\n",
             ver, tickets < 0 ? "default" : argv[3], release, n, (double)(u1 - u0) / n, (double)(l1 - l0) / n,
             (double)(n1 - n0) / n, (double)u_new / n, (double)l_new / n, SSL_get_cipher(ss[0]));
    if (pass == 0) { SSL_free(ss[0]); close(fds[0]); tracking = getenv("TRACE") != NULL; }
    if (pass == 1 && tracking) {
      tracking = 0;
      for (int i = 0; i < ntr; i++) if (tr[i].p) printf("live %6zu B  %s:%d\n", tr[i].n, tr[i].f ? tr[i].f : "?", tr[i].l);
    }
  }
  return 0;
}
