#include "core/trace/pcap.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace sipline::trace {
namespace {

constexpr std::size_t kEthHeader = 14;
constexpr std::size_t kIp4Header = 20;
constexpr std::size_t kIp6Header = 40;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kTcpHeader = 20;
constexpr std::uint8_t kTcpPshAck = 0x18;
constexpr std::uint32_t kIsn = 1;

void le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void le16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}

void be16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void be32(std::string& out, std::uint32_t v) {
  be16(out, static_cast<std::uint16_t>(v >> 16));
  be16(out, static_cast<std::uint16_t>(v & 0xffff));
}

void setBe16(std::string& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v & 0xff);
}

// RFC 1071 ones'-complement sum of n bytes, added to `sum` (not yet folded).
std::uint32_t sumBytes(const std::uint8_t* p, std::size_t n, std::uint32_t sum) {
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  }
  if (n % 2 == 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// One frame: Ethernet + IP + UDP/TCP header + payload. `seq`/`ack` only for TCP.
void appendFrame(std::string& out, const Record& r, bool v6, bool tcp, std::uint16_t ip_id,
                 std::uint32_t seq, std::uint32_t ack, const char* payload, std::size_t n) {
  std::uint8_t src[16], dst[16];
  addressBytes(r.src, v6, src);
  addressBytes(r.dst, v6, dst);
  const std::size_t alen = v6 ? 16 : 4;
  const std::size_t l4_len = (tcp ? kTcpHeader : kUdpHeader) + n;
  const std::size_t frame_len = kEthHeader + (v6 ? kIp6Header : kIp4Header) + l4_len;

  const std::int64_t t = std::max<std::int64_t>(r.time_us, 0);
  le32(out, static_cast<std::uint32_t>(t / 1000000));
  le32(out, static_cast<std::uint32_t>(t % 1000000));
  le32(out, static_cast<std::uint32_t>(frame_len));
  le32(out, static_cast<std::uint32_t>(frame_len));

  // Ethernet: made-up locally administered MACs, destination first.
  for (const std::uint8_t* a : {dst, src}) {
    out.push_back('\x02');
    out.push_back('\x00');
    out.append(reinterpret_cast<const char*>(a + alen - 4), 4);
  }
  be16(out, v6 ? 0x86dd : 0x0800);

  const std::uint8_t proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
  if (v6) {
    be32(out, 0x60000000);  // version 6, no traffic class or flow label
    be16(out, static_cast<std::uint16_t>(l4_len));
    out.push_back(static_cast<char>(proto));
    out.push_back('\x40');  // hop limit 64
    out.append(reinterpret_cast<const char*>(src), 16);
    out.append(reinterpret_cast<const char*>(dst), 16);
  } else {
    const std::size_t ip_at = out.size();
    out.push_back('\x45');  // version 4, 5 words
    out.push_back('\x00');
    be16(out, static_cast<std::uint16_t>(kIp4Header + l4_len));
    be16(out, ip_id);
    be16(out, 0x4000);      // don't fragment
    out.push_back('\x40');  // TTL 64
    out.push_back(static_cast<char>(proto));
    be16(out, 0);  // checksum, below
    out.append(reinterpret_cast<const char*>(src), 4);
    out.append(reinterpret_cast<const char*>(dst), 4);
    setBe16(
        out, ip_at + 10,
        fold(sumBytes(reinterpret_cast<const std::uint8_t*>(out.data()) + ip_at, kIp4Header, 0)));
  }

  const std::size_t l4_at = out.size();
  be16(out, r.src.port());
  be16(out, r.dst.port());
  std::size_t csum_at;
  if (tcp) {
    be32(out, seq);
    be32(out, ack);
    out.push_back('\x50');  // data offset: 5 words
    out.push_back(static_cast<char>(kTcpPshAck));
    be16(out, 65535);  // window
    csum_at = out.size();
    be16(out, 0);
    be16(out, 0);  // urgent pointer
  } else {
    be16(out, static_cast<std::uint16_t>(l4_len));
    csum_at = out.size();
    be16(out, 0);
  }
  out.append(payload, n);

  // Pseudo-header (RFC 768, RFC 793; RFC 8200 §8.1 for IPv6) + segment.
  std::uint32_t sum = sumBytes(src, alen, 0);
  sum = sumBytes(dst, alen, sum);
  sum += proto;
  sum += static_cast<std::uint32_t>(l4_len & 0xffff) + static_cast<std::uint32_t>(l4_len >> 16);
  sum = sumBytes(reinterpret_cast<const std::uint8_t*>(out.data()) + l4_at, l4_len, sum);
  std::uint16_t csum = fold(sum);
  if (!tcp && csum == 0) csum = 0xffff;  // RFC 768: 0 would mean "no checksum"
  setBe16(out, csum_at, csum);
}

}  // namespace

std::string PcapWriter::fileHeader() {
  std::string out;
  le32(out, kPcapMagic);
  le16(out, 2);  // version 2.4
  le16(out, 4);
  le32(out, 0);  // thiszone
  le32(out, 0);  // sigfigs
  le32(out, kPcapSnapLen);
  le32(out, kPcapLinkEthernet);
  return out;
}

void PcapWriter::append(const Record& r, std::string& out) {
  const bool v6 = usesV6(r);
  if (r.proto == Proto::kUdp) {
    const std::size_t n = std::min(r.message.size(), v6 ? kPcapMaxUdpV6 : kPcapMaxUdpV4);
    appendFrame(out, r, v6, false, ip_id_++, 0, 0, r.message.data(), n);
    return;
  }
  const std::string src = r.src.toString(), dst = r.dst.toString();
  // TLS and TCP share the key prefix: both are framed as TCP, so one flow either way.
  std::uint32_t& seq = next_seq_.try_emplace("tcp " + src + ">" + dst, kIsn).first->second;
  const std::uint32_t ack = next_seq_.try_emplace("tcp " + dst + ">" + src, kIsn).first->second;
  std::size_t off = 0;
  // At least one segment, also for an empty message. Bounded: size / kPcapMaxSegment + 1.
  do {
    const std::size_t n = std::min(r.message.size() - off, kPcapMaxSegment);
    appendFrame(out, r, v6, true, ip_id_++, seq, ack, r.message.data() + off, n);
    seq += static_cast<std::uint32_t>(n);
    off += n;
  } while (off < r.message.size());
}

std::string writePcap(const std::vector<Record>& records) {
  std::string out = PcapWriter::fileHeader();
  PcapWriter w;
  for (const Record& r : records) w.append(r, out);
  return out;
}

}  // namespace sipline::trace
