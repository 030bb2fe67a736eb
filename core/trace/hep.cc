#include "core/trace/hep.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace sipline::trace {
namespace {

// Big-endian fields and chunks written at a cursor into a buffer the caller sized.
class ChunkWriter {
 public:
  explicit ChunkWriter(char* at) : at_(at) {}
  char* end() const { return at_; }

  void raw(const void* data, std::size_t n) {
    std::memcpy(at_, data, n);
    at_ += n;
  }
  void u16(std::uint16_t v) {
    at_[0] = static_cast<char>(v >> 8);
    at_[1] = static_cast<char>(v & 0xff);
    at_ += 2;
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v & 0xffff));
  }
  // Chunk header for `payload_len` bytes of payload. Callers keep the whole packet under
  // kHepMaxPacket, so the length always fits 16 bits.
  void header(std::uint16_t type, std::size_t payload_len) {
    u16(0);  // vendor: generic
    u16(type);
    u16(static_cast<std::uint16_t>(kHepChunkHeader + payload_len));
  }
  void chunk8(std::uint16_t type, std::uint8_t v) {
    header(type, 1);
    *at_++ = static_cast<char>(v);
  }
  void chunk16(std::uint16_t type, std::uint16_t v) {
    header(type, 2);
    u16(v);
  }
  void chunk32(std::uint16_t type, std::uint32_t v) {
    header(type, 4);
    u32(v);
  }
  void chunkBytes(std::uint16_t type, const void* data, std::size_t n) {
    header(type, n);
    raw(data, n);
  }

 private:
  char* at_;
};

std::uint16_t get16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t get32(const unsigned char* p) {
  return (static_cast<std::uint32_t>(get16(p)) << 16) | get16(p + 2);
}

Status malformed(const std::string& what, std::size_t offset) {
  return Status::invalidArgument("HEP: " + what + " at offset " + std::to_string(offset));
}

void setAddress(SockAddr& a, bool v6, const unsigned char* bytes, std::uint16_t port) {
  a = SockAddr{};
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&a.ss);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, bytes, 16);
    sa->sin6_port = htons(port);
    a.len = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&a.ss);
    sa->sin_family = AF_INET;
    std::memcpy(&sa->sin_addr, bytes, 4);
    sa->sin_port = htons(port);
    a.len = sizeof(sockaddr_in);
  }
}

}  // namespace

std::string encodeHep(const Record& r, const HepOptions& opts) {
  std::string out;
  appendHep(r, opts, out);
  return out;
}

void appendHep(const Record& r, const HepOptions& opts, std::string& out) {
  appendHep(r, r.message, opts, out);
}

void appendHep(const Record& r, std::string_view message, const HepOptions& opts,
               std::string& out) {
  const bool v6 = usesV6(r);
  const std::size_t addr_len = v6 ? 16 : 4;
  const std::string_view auth =
      std::string_view(opts.auth_key).substr(0, std::min(opts.auth_key.size(), kHepMaxIdLength));
  const std::string_view corr =
      std::string_view(opts.correlation_id)
          .substr(0, std::min(opts.correlation_id.size(), kHepMaxIdLength));
  // Fixed part: header, 3 uint8 chunks, 2 addresses, 2 ports, 3 uint32 chunks, payload header.
  std::size_t fixed = kHepHeaderSize + 3 * (kHepChunkHeader + 1) +
                      2 * (kHepChunkHeader + addr_len) + 2 * (kHepChunkHeader + 2) +
                      3 * (kHepChunkHeader + 4) + kHepChunkHeader;
  if (!auth.empty()) fixed += kHepChunkHeader + auth.size();
  if (!corr.empty()) fixed += kHepChunkHeader + corr.size();
  const std::size_t limit = std::min(opts.max_packet, kHepMaxPacket);
  const std::size_t payload_len = std::min(message.size(), limit > fixed ? limit - fixed : 0);

  char buf[kHepMaxOverhead];
  ChunkWriter w(buf);
  w.raw("HEP3", 4);
  w.u16(static_cast<std::uint16_t>(fixed + payload_len));
  w.chunk8(kHepIpFamily, v6 ? kHepFamilyV6 : kHepFamilyV4);
  w.chunk8(kHepIpProto, r.proto == Proto::kUdp ? IPPROTO_UDP : IPPROTO_TCP);
  std::uint8_t addr[16];
  addressBytes(r.src, v6, addr);
  w.chunkBytes(v6 ? kHepSrcIp6 : kHepSrcIp4, addr, addr_len);
  addressBytes(r.dst, v6, addr);
  w.chunkBytes(v6 ? kHepDstIp6 : kHepDstIp4, addr, addr_len);
  w.chunk16(kHepSrcPort, r.src.port());
  w.chunk16(kHepDstPort, r.dst.port());
  // Times before 1970 cannot be expressed; they become 0.
  const std::int64_t t = std::max<std::int64_t>(r.time_us, 0);
  w.chunk32(kHepTimeSec, static_cast<std::uint32_t>(t / 1000000));
  w.chunk32(kHepTimeUsec, static_cast<std::uint32_t>(t % 1000000));
  w.chunk8(kHepProtoType, kHepProtoSip);
  w.chunk32(kHepCaptureId, opts.capture_id);
  if (!auth.empty()) w.chunkBytes(kHepAuthKey, auth.data(), auth.size());
  if (!corr.empty()) w.chunkBytes(kHepCorrelation, corr.data(), corr.size());
  w.header(kHepPayload, payload_len);
  out.reserve(out.size() + fixed + payload_len);
  out.append(buf, static_cast<std::size_t>(w.end() - buf));
  out.append(message.data(), payload_len);
}

Result<std::size_t> hepFrameLength(std::string_view bytes) {
  if (bytes.size() < kHepHeaderSize) return std::size_t{0};
  if (bytes.substr(0, 4) != "HEP3") return malformed("magic is not HEP3", 0);
  const std::size_t total = get16(reinterpret_cast<const unsigned char*>(bytes.data()) + 4);
  if (total < kHepHeaderSize) return malformed("total length under 6", 4);
  return total;
}

Result<HepPacket> decodeHep(std::string_view bytes) {
  if (bytes.size() < kHepHeaderSize) return malformed("packet shorter than its header", 0);
  Result<std::size_t> total = hepFrameLength(bytes);
  if (!total.isOk()) return total.status();
  if (total.value() != bytes.size()) {
    return malformed("total length " + std::to_string(total.value()) + " but " +
                         std::to_string(bytes.size()) + " bytes",
                     4);
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  HepPacket pkt;
  std::uint32_t seen = 0;  // bit per known chunk type (all are < 32)
  std::uint8_t family = 0;
  const unsigned char* src_ip = nullptr;
  const unsigned char* dst_ip = nullptr;
  bool src_v6 = false, dst_v6 = false;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t sec = 0, usec = 0;

  std::size_t off = kHepHeaderSize;
  // Each pass consumes at least 6 bytes, so the loop ends within size/6 passes.
  while (off < bytes.size()) {
    if (bytes.size() - off < kHepChunkHeader) return malformed("truncated chunk header", off);
    const std::uint16_t vendor = get16(p + off);
    const std::uint16_t type = get16(p + off + 2);
    const std::size_t len = get16(p + off + 4);
    if (len < kHepChunkHeader) return malformed("chunk length under 6", off + 4);
    if (len > bytes.size() - off) return malformed("chunk past the end", off + 4);
    const unsigned char* v = p + off + kHepChunkHeader;
    const std::size_t n = len - kHepChunkHeader;
    const std::size_t at = off;
    off += len;
    if (vendor != 0 || type >= 32) continue;
    // Known fixed-size chunks: the size each must have (0: variable, -1: unknown type).
    // clang-format off
    static constexpr int kSize[32] = {
        -1, 1, 1, 4, 4, 16, 16, 2, 2, 4, 4, 1, 4,  // 0..12
        -1, 0, 0, -1, 0,                          // 13..17
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    // clang-format on
    if (kSize[type] < 0) continue;
    if (kSize[type] > 0 && n != static_cast<std::size_t>(kSize[type])) {
      return malformed("chunk " + std::to_string(type) + " has size " + std::to_string(n), at);
    }
    if (seen & (1u << type)) return malformed("chunk " + std::to_string(type) + " repeated", at);
    seen |= 1u << type;
    switch (type) {
      case kHepIpFamily:
        family = v[0];
        break;
      case kHepIpProto:
        pkt.ip_proto = v[0];
        break;
      case kHepSrcIp4:
      case kHepSrcIp6:
        if (src_ip != nullptr) return malformed("two source addresses", at);
        src_ip = v;
        src_v6 = type == kHepSrcIp6;
        break;
      case kHepDstIp4:
      case kHepDstIp6:
        if (dst_ip != nullptr) return malformed("two destination addresses", at);
        dst_ip = v;
        dst_v6 = type == kHepDstIp6;
        break;
      case kHepSrcPort:
        src_port = get16(v);
        break;
      case kHepDstPort:
        dst_port = get16(v);
        break;
      case kHepTimeSec:
        sec = get32(v);
        break;
      case kHepTimeUsec:
        usec = get32(v);
        break;
      case kHepProtoType:
        pkt.proto_type = v[0];
        break;
      case kHepCaptureId:
        pkt.capture_id = get32(v);
        break;
      case kHepAuthKey:
        pkt.auth_key.assign(reinterpret_cast<const char*>(v), n);
        break;
      case kHepPayload:
        pkt.record.message.assign(reinterpret_cast<const char*>(v), n);
        break;
      case kHepCorrelation:
        pkt.correlation_id.assign(reinterpret_cast<const char*>(v), n);
        break;
      default:
        break;
    }
  }

  if (!(seen & (1u << kHepIpFamily))) return malformed("no IP family chunk", off);
  if (family != kHepFamilyV4 && family != kHepFamilyV6) {
    return malformed("unknown IP family " + std::to_string(family), off);
  }
  const bool v6 = family == kHepFamilyV6;
  if (src_ip == nullptr || dst_ip == nullptr) return malformed("no address chunk", off);
  if (src_v6 != v6 || dst_v6 != v6) return malformed("address does not match the family", off);
  if (!(seen & (1u << kHepSrcPort)) || !(seen & (1u << kHepDstPort))) {
    return malformed("no port chunk", off);
  }
  if (!(seen & (1u << kHepPayload))) return malformed("no payload chunk", off);
  if (pkt.ip_proto == IPPROTO_UDP) {
    pkt.record.proto = Proto::kUdp;
  } else if (pkt.ip_proto == IPPROTO_TCP) {
    pkt.record.proto = Proto::kTcp;
  } else {
    return malformed("unknown IP protocol " + std::to_string(pkt.ip_proto), off);
  }
  setAddress(pkt.record.src, v6, src_ip, src_port);
  setAddress(pkt.record.dst, v6, dst_ip, dst_port);
  pkt.record.time_us = static_cast<std::int64_t>(sec) * 1000000 + usec;
  return pkt;
}

}  // namespace sipline::trace
