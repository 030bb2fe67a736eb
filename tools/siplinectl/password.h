// Where a new password comes from when the command line does not give one: generated from the
// kernel's random source (OpenSSL RAND_bytes), or read from standard input (--stdin) so that it
// never appears in a shell history or a process listing. Neither logs nor prints it.
#pragma once

#include <istream>
#include <string>

#include "core/base/status.h"

namespace sipline::ctl {

// Characters of a generated password: letters and digits without the look-alikes 0 O o 1 l I,
// so that it can be read out and typed into a phone (56 symbols, 5.8 bits each).
inline constexpr char kPasswordAlphabet[] =
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
inline constexpr std::size_t kGeneratedPasswordLength = 20;  // about 116 bits

// kInternal if the random source fails (then no password is made up from anything weaker).
Result<std::string> generatePassword();

// The first line of `in` without its "\n" or "\r\n". invalidArgument when the input is empty or
// the line is not a valid password (checkPassword()); the message never contains the input.
Result<std::string> readPasswordLine(std::istream& in);

}  // namespace sipline::ctl
