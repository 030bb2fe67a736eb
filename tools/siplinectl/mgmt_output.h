// The text output of the management commands: each takes the MI result as the server sent it
// and prints tables (tables.h) or a line for people. Tolerant by design: a field the server
// does not send (an older server, a module not loaded) prints as "-", never a crash. The
// --json output is the result itself and does not come through here.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "core/mi/json.h"

namespace sipline::ctl {

// object[name], or null when `object` is no object or has no such member. The one way to
// read a server's answer: Json::value() and at() throw on a result that is not an object.
const Json& field(const Json& object, const char* name);
// One JSON value as a table cell: strings as they are, numbers (floats with up to 2
// decimals), true/false as yes/no, null or absent as "-", anything else compact JSON.
std::string cellText(const Json& value);
// Seconds as "42s", "5m07s", "3h02m", "2d04h".
std::string durationText(std::int64_t seconds);

// ps: ID PID ROLE INDEX LOAD(1m) HANDLED LEVEL NAME.
void printPs(const Json& result, std::ostream& out);
// uptime: "up 2d04h (since 2026-11-27 05:56:04 UTC)".
void printUptime(const Json& result, std::ostream& out);
// stats, tm stats: NAME VALUE, in the server's order.
void printNameValues(const Json& result, std::ostream& out);
// shm: NAME BYTES MIB, plus the used share.
void printShm(const Json& result, std::ostream& out);
// ul show: ul_dump's {"tables": [...]} or ul_show_contact's {"aor", "contacts"}: AOR CONTACT
// EXPIRES IN, Q, FLAGS, RECEIVED, USER AGENT; then a count line.
void printContacts(const Json& result, std::ostream& out);
// The AORs of ul_dump's result, sorted, without duplicates.
Json onlineAors(const Json& dump);
// log-level: PID ROLE INDEX LEVEL.
void printLogLevels(const Json& result, std::ostream& out);
// The server's version line of `siplinectl version`.
std::string serverVersionText(const Json& result);

}  // namespace sipline::ctl
