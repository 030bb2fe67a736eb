#include "core/dns/answer_codec.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace sipline::dns {
namespace {

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

void putText(std::string& out, const std::string& s) {
  const std::size_t n = s.size() > 0xffff ? 0xffff : s.size();
  put16(out, static_cast<std::uint16_t>(n));
  out.append(s, 0, n);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }
  bool get16(std::uint16_t& v) {
    if (data_.size() - pos_ < 2) return false;
    v = static_cast<std::uint16_t>(static_cast<unsigned char>(data_[pos_]) << 8 |
                                   static_cast<unsigned char>(data_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool getBytes(std::size_t n, std::string_view& v) {
    if (data_.size() - pos_ < n) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool getText(std::string& v) {
    std::uint16_t n = 0;
    std::string_view bytes;
    if (!get16(n) || !getBytes(n, bytes)) return false;
    v.assign(bytes);
    return true;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

void encodeRecords(RrType type, const DnsAnswer& answer, std::string& out) {
  switch (type) {
    case RrType::kA:
    case RrType::kAaaa: {
      const int family = type == RrType::kA ? AF_INET : AF_INET6;
      const std::size_t size = type == RrType::kA ? 4 : 16;
      for (const IpAddress& a : answer.addrs) {
        if (a.family == family) out.append(reinterpret_cast<const char*>(a.bytes), size);
      }
      break;
    }
    case RrType::kSrv:
      for (const SrvRecord& r : answer.srv) {
        put16(out, r.priority);
        put16(out, r.weight);
        put16(out, r.port);
        putText(out, r.target);
      }
      break;
    case RrType::kNaptr:
      for (const NaptrRecord& r : answer.naptr) {
        put16(out, r.order);
        put16(out, r.preference);
        putText(out, r.flags);
        putText(out, r.service);
        putText(out, r.regexp);
        putText(out, r.replacement);
      }
      break;
  }
}

bool decodeRecords(RrType type, std::string_view data, DnsAnswer& answer) {
  Reader in(data);
  switch (type) {
    case RrType::kA:
    case RrType::kAaaa: {
      const std::size_t size = type == RrType::kA ? 4 : 16;
      while (!in.done()) {
        std::string_view bytes;
        if (!in.getBytes(size, bytes)) return false;
        IpAddress a;
        a.family = type == RrType::kA ? AF_INET : AF_INET6;
        std::memcpy(a.bytes, bytes.data(), size);
        answer.addrs.push_back(a);
      }
      return true;
    }
    case RrType::kSrv:
      while (!in.done()) {
        SrvRecord r;
        if (!in.get16(r.priority) || !in.get16(r.weight) || !in.get16(r.port) ||
            !in.getText(r.target)) {
          return false;
        }
        answer.srv.push_back(std::move(r));
      }
      return true;
    case RrType::kNaptr:
      while (!in.done()) {
        NaptrRecord r;
        if (!in.get16(r.order) || !in.get16(r.preference) || !in.getText(r.flags) ||
            !in.getText(r.service) || !in.getText(r.regexp) || !in.getText(r.replacement)) {
          return false;
        }
        answer.naptr.push_back(std::move(r));
      }
      return true;
  }
  return false;
}

}  // namespace sipline::dns
