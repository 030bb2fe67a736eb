// pcap export: traced messages as a classic libpcap file (magic 0xa1b2c3d4, microsecond
// timestamps, version 2.4, LINKTYPE_ETHERNET) that Wireshark and tshark (checked: 4.0) open and
// dissect as SIP with the original addresses and ports. Each record becomes one Ethernet
// frame with an IPv4 or IPv6 header and a UDP datagram (Proto::kUdp) or a TCP segment
// (kTcp and kTls: the plaintext as the server saw it, so TLS shows as SIP over TCP).
// TCP has no handshake: each direction of a flow (address pair) gets sequence numbers that
// start at 1 and advance by the payload length, every segment acknowledges the other
// direction's next byte and carries PSH|ACK; Wireshark reassembles SIP across segments.
// The MAC addresses are made up (02:00 followed by the last 4 bytes of the IP address).
// All checksums (IPv4 header, UDP, TCP) are computed. Process-private; no I/O, no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/trace/trace_record.h"

namespace sipline::trace {

inline constexpr std::uint32_t kPcapMagic = 0xa1b2c3d4;
inline constexpr std::uint32_t kPcapLinkEthernet = 1;
inline constexpr std::uint32_t kPcapSnapLen = 262144;
// The most SIP bytes one TCP segment carries: a longer TCP message is split into segments of
// this size (all with the record's timestamp).
inline constexpr std::size_t kPcapMaxSegment = 65000;
// The largest UDP payload an IP packet holds: IPv4's 16-bit total length (65535) less its
// header and UDP's (20 + 8); IPv6's payload length counts only the UDP header (8). A UDP
// message is written whole, as one datagram, up to these; a longer one cannot have crossed
// the wire and is cut to them.
inline constexpr std::size_t kPcapMaxUdpV4 = 65507;
inline constexpr std::size_t kPcapMaxUdpV6 = 65527;

// Streaming writer: fileHeader() once, then append() per record, in capture order. Keeps the
// TCP sequence state between records, so one writer per file.
class PcapWriter {
 public:
  // The 24-byte global header (little-endian, as written by libpcap on x86).
  static std::string fileHeader();
  // Appends the frame(s) of `r` to out. Records whose addresses are not IP (family 0) are
  // written as 0.0.0.0.
  void append(const Record& r, std::string& out);

 private:
  // Next sequence number per TCP direction, keyed by "tcp src>dst".
  std::map<std::string, std::uint32_t> next_seq_;
  std::uint16_t ip_id_ = 0;
};

// A whole pcap file in memory: header and every record's frames, in order.
std::string writePcap(const std::vector<Record>& records);

}  // namespace sipline::trace
