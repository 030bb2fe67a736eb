#include "core/transport/tcp_conn.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/transport/tls_context.h"

namespace sipline {

StreamConn::StreamConn(int fd, const ConnInfo& info, const Listener& listener,
                       const StreamLimits& limits)
    : fd_(fd), info_(info), listener_(listener), framer_(limits) {}

StreamConn::~StreamConn() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool StreamConn::startTls(std::string_view host) {
  TlsContexts& contexts = tlsContexts();
  SSL_CTX* ctx =
      info_.outgoing ? contexts.clientContext(host, info_.peer) : contexts.serverContext();
  if (ctx == nullptr) {
    why_ = "no TLS profile";
    return false;
  }
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    why_ = "cannot create a TLS session: " + opensslErrors();
    return false;
  }
  if (info_.outgoing) {
    if (!contexts.prepareClient(ssl_, host, info_.peer, &why_)) return false;
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  return true;
}

IoResult StreamConn::finishConnect() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) return IoResult::kOk;
  if (err == EINPROGRESS || err == EALREADY) return IoResult::kWantWrite;
  why_ = std::strerror(err);
  return IoResult::kError;
}

IoResult StreamConn::sslResult(int rc, const char* op, bool writing) {
  int e = SSL_get_error(ssl_, rc);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      return IoResult::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return IoResult::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return IoResult::kEof;
    case SSL_ERROR_SYSCALL:
      if (errno == EAGAIN || errno == EINTR) {
        return writing ? IoResult::kWantWrite : IoResult::kWantRead;
      }
      if (ERR_peek_error() == 0 && (errno == 0 || errno == ECONNRESET || errno == EPIPE)) {
        ERR_clear_error();
        return IoResult::kEof;  // closed without close_notify, or reset
      }
      why_ = std::string(op) + ": " + (errno != 0 ? std::strerror(errno) : opensslErrors());
      ERR_clear_error();
      return IoResult::kError;
    default: {
      if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return IoResult::kEof;  // closed without close_notify: common, and harmless for SIP
      }
      why_ = std::string(op) + ": " + opensslErrors();
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        why_ += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
      }
      return IoResult::kError;
    }
  }
}

IoResult StreamConn::handshake() {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return IoResult::kOk;
  IoResult r = sslResult(rc, "TLS handshake", false);
  // kEof: the peer abandoned the handshake (a port probe, or a client that gave up).
  if (r == IoResult::kEof) why_ = "TLS handshake: the peer closed the connection";
  return r;
}

IoResult StreamConn::readSome(char* scratch, std::size_t scratch_size, std::size_t budget) {
  std::size_t total = 0;
  while (total < budget) {
    ssize_t n;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      int rc = SSL_read(ssl_, scratch, static_cast<int>(scratch_size));
      if (rc <= 0) return sslResult(rc, "TLS read", false);
      n = rc;
    } else {
      do {
        n = ::recv(fd_, scratch, scratch_size, 0);
      } while (n < 0 && errno == EINTR);
      if (n == 0) return IoResult::kEof;
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kWantRead;
        if (errno == ECONNRESET) return IoResult::kEof;
        why_ = std::string("read: ") + std::strerror(errno);
        return IoResult::kError;
      }
    }
    total += static_cast<std::size_t>(n);
    if (isFrameError(framer_.feed(std::string_view(scratch, static_cast<std::size_t>(n))))) {
      return IoResult::kOk;  // the caller takes the complete messages, then the error
    }
  }
  return IoResult::kOk;
}

bool StreamConn::enqueue(std::string_view data, std::size_t limit) {
  if (queued() + data.size() > limit) return false;
  if (out_off_ > 0 && out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  out_.append(data);
  return true;
}

IoResult StreamConn::flush() {
  while (out_off_ < out_.size()) {
    std::size_t left = out_.size() - out_off_;
    ssize_t n;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      int rc = SSL_write(ssl_, out_.data() + out_off_,
                         static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
      if (rc <= 0) {
        IoResult r = sslResult(rc, "TLS write", true);
        if (r != IoResult::kEof) return r;
        why_ = "TLS write: the peer closed the connection";
        return IoResult::kError;
      }
      n = rc;
    } else {
      do {
        n = ::send(fd_, out_.data() + out_off_, left, MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kWantWrite;
        why_ = std::string("write: ") + std::strerror(errno);
        return IoResult::kError;
      }
    }
    out_off_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_off_ = 0;
  return IoResult::kOk;
}

void StreamConn::releaseWriteBuffer() {
  if (queued() == 0) {
    std::string().swap(out_);
    out_off_ = 0;
  }
}

}  // namespace sipline
