// HEPv3 (Homer Encapsulation Protocol, version 3): the packet a siptrace destination sends to
// a Homer/heplify collector for one traced message, and a strict decoder for the tests and the
// tools. Layout (sipcapture's HEP3 specification): "HEP3", a 16-bit total length, then chunks
// of (16-bit vendor id, 16-bit type, 16-bit length including these 6 bytes, payload), every
// integer in network byte order. Only generic chunks (vendor 0) are written.
// Pure functions on process-private values; no I/O, no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/trace/trace_record.h"

namespace sipline::trace {

// Generic chunk types (vendor 0) this unit writes or reads.
enum HepChunk : std::uint16_t {
  kHepIpFamily = 1,      // uint8: 2 IPv4, 10 IPv6
  kHepIpProto = 2,       // uint8: 17 UDP, 6 TCP (TLS too: HEP has no TLS value)
  kHepSrcIp4 = 3,        // 4 bytes
  kHepDstIp4 = 4,        // 4 bytes
  kHepSrcIp6 = 5,        // 16 bytes
  kHepDstIp6 = 6,        // 16 bytes
  kHepSrcPort = 7,       // uint16
  kHepDstPort = 8,       // uint16
  kHepTimeSec = 9,       // uint32, unix seconds
  kHepTimeUsec = 10,     // uint32, microseconds within the second
  kHepProtoType = 11,    // uint8: 1 SIP
  kHepCaptureId = 12,    // uint32, the capture agent id
  kHepAuthKey = 14,      // octets
  kHepPayload = 15,      // octets: the SIP message
  kHepCorrelation = 17,  // octets: the Call-ID for SIP
};

inline constexpr std::uint8_t kHepFamilyV4 = 2;
inline constexpr std::uint8_t kHepFamilyV6 = 10;
inline constexpr std::uint8_t kHepProtoSip = 1;
// The largest packet: the total length field is 16 bits.
inline constexpr std::size_t kHepMaxPacket = 65535;
// The largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP): a HEP datagram must fit it.
inline constexpr std::size_t kHepMaxUdpPacket = 65507;
// Auth key and correlation id longer than this are cut (they are short in practice).
inline constexpr std::size_t kHepMaxIdLength = 1024;
inline constexpr std::size_t kHepHeaderSize = 6;  // "HEP3" + total length
inline constexpr std::size_t kHepChunkHeader = 6;
// A packet's bytes besides its payload at most (both ids at their longest, IPv6): a packet is
// never longer than its message plus this. appendHep() builds them in a stack buffer this big.
inline constexpr std::size_t kHepMaxOverhead =
    kHepHeaderSize + 3 * (kHepChunkHeader + 1) + 2 * (kHepChunkHeader + 16) +
    2 * (kHepChunkHeader + 2) + 3 * (kHepChunkHeader + 4) +
    2 * (kHepChunkHeader + kHepMaxIdLength) + kHepChunkHeader;

struct HepOptions {
  std::uint32_t capture_id = 0;
  std::string auth_key;        // empty: no auth key chunk
  std::string correlation_id;  // empty: no correlation chunk (else the Call-ID)
  // The packet's size limit, at most kHepMaxPacket (larger values count as it): UDP senders
  // pass kHepMaxUdpPacket. The payload is cut to fit; a limit under the fixed chunks leaves
  // an empty payload.
  std::size_t max_packet = kHepMaxPacket;
};

// One HEPv3 packet for `r`: chunks 1, 2, 3/4 or 5/6, 7, 8, 9, 10, 11, 12, then 14 and 17 when
// set, then 15 (payload) last. A record with an IPv6 address is sent as IPv6 (an IPv4 peer
// v4-mapped). The packet never exceeds opts.max_packet: a longer message is truncated to fit
// (only a TCP message can be that long; the collector then shows its start). The direction
// (r.outgoing) has no HEP chunk and is not encoded.
std::string encodeHep(const Record& r, const HepOptions& opts);
// The same packet appended to `out` (which keeps its capacity: callers reuse one buffer).
void appendHep(const Record& r, const HepOptions& opts, std::string& out);
// The same with the payload given apart (r.message is not read): a writer that holds the
// message elsewhere needs no copy of it in a Record.
void appendHep(const Record& r, std::string_view message, const HepOptions& opts, std::string& out);

// A decoded packet. record.outgoing is always false (HEP does not carry it); record.proto is
// kUdp for IP protocol 17 and kTcp for 6 (TLS cannot be told from TCP).
struct HepPacket {
  Record record;
  std::uint8_t ip_proto = 0;
  std::uint8_t proto_type = 0;
  std::uint32_t capture_id = 0;
  std::string auth_key;
  std::string correlation_id;
};

// Decodes exactly one packet, which must span all of `bytes`. Errors (kInvalidArgument, with
// the offset): shorter than 6 bytes, magic not "HEP3", a total length different from the
// input size, a chunk header or payload past the end, a chunk length under 6, a known chunk
// of the wrong size or repeated, an unknown family or IP protocol, a missing family, address,
// port or payload chunk. Chunks of other vendors or unknown types are skipped. Never reads out
// of bounds, whatever the input.
Result<HepPacket> decodeHep(std::string_view bytes);

// For a HEP stream over TCP: the length of the packet at the front of `bytes`, 0 when fewer
// than 6 bytes are there yet. Errors on a wrong magic or a length under 6 (the stream is then
// unusable).
Result<std::size_t> hepFrameLength(std::string_view bytes);

}  // namespace sipline::trace
