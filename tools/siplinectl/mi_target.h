// Where the management commands find the server's MI: --url, else --mi-socket, else
// $SIPLINE_MI_URL, else mi.socket of the settings file, else its mi.http (as
// http://<mi.http>/mi with mi.http_user and mi.http_password). For HTTP the credentials are the
// URL's user:password, or --http-user with the password from $SIPLINE_MI_PASSWORD (which also fills
// in a URL's missing password); they travel inside `connect` so that the MiConnect of
// RunContext stays one string. No I/O but reading the settings file.
#pragma once

#include <string>

#include "core/base/status.h"
#include "tools/siplinectl/cli.h"

namespace sipline::ctl {

struct MiTarget {
  std::string connect;  // a socket path or an http:// URL with credentials: for MiConnect
  std::string shown;    // for messages: the path, or http://HOST:PORT (never the user info)
  std::string source;   // "--url", "--mi-socket", "SIPLINE_MI_URL", "FILE (mi.socket)",
                        // "FILE (mi.http)"
  bool http = false;
};

// kInvalidArgument: a usage error (both --url and --mi-socket, --http-user without a URL, a bad
// URL); kNotFound: no MI known (unreadable settings, neither mi.socket nor mi.http), saying
// how to name one.
Result<MiTarget> resolveMiTarget(const Invocation& inv, const char* env_url,
                                 const char* env_password);

}  // namespace sipline::ctl
