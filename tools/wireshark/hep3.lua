-- HEPv3 (Homer Encapsulation Protocol, version 3) for tshark/Wireshark 4.0, which has no HEP
-- dissector of its own: the chunks as fields (hep3.*) and the payload handed to the SIP
-- dissector. Written for Sipline (its tests use it; the packages install it in
-- /usr/share/sipline/wireshark) from the HEP3 chunk list (vendor 0):
--   1 IP family, 2 IP protocol, 3/4 IPv4 source/destination, 5/6 IPv6 source/destination,
--   7/8 ports, 9/10 timestamp seconds/microseconds, 11 protocol type, 12 capture id,
--   14 auth key, 15 payload, 17 correlation id.
-- Load with: tshark -X lua_script:hep3.lua -d udp.port==PORT,hep3 -r FILE
local hep3 = Proto("hep3", "Homer Encapsulation Protocol v3")

local f = {
  length = ProtoField.uint16("hep3.length", "Total length"),
  family = ProtoField.uint8("hep3.ip_family", "IP family"),
  ip_proto = ProtoField.uint8("hep3.ip_proto", "IP protocol"),
  src_ip4 = ProtoField.ipv4("hep3.src_ip4", "Source IPv4"),
  dst_ip4 = ProtoField.ipv4("hep3.dst_ip4", "Destination IPv4"),
  src_ip6 = ProtoField.ipv6("hep3.src_ip6", "Source IPv6"),
  dst_ip6 = ProtoField.ipv6("hep3.dst_ip6", "Destination IPv6"),
  src_port = ProtoField.uint16("hep3.src_port", "Source port"),
  dst_port = ProtoField.uint16("hep3.dst_port", "Destination port"),
  ts_sec = ProtoField.uint32("hep3.ts_sec", "Timestamp (s)"),
  ts_usec = ProtoField.uint32("hep3.ts_usec", "Timestamp (us)"),
  proto_type = ProtoField.uint8("hep3.proto_type", "Protocol type"),
  capture_id = ProtoField.uint32("hep3.capture_id", "Capture agent id"),
  auth_key = ProtoField.string("hep3.auth_key", "Auth key"),
  payload = ProtoField.bytes("hep3.payload", "Payload"),
  correlation_id = ProtoField.string("hep3.correlation_id", "Correlation id"),
}
hep3.fields = {f.length, f.family, f.ip_proto, f.src_ip4, f.dst_ip4, f.src_ip6, f.dst_ip6,
               f.src_port, f.dst_port, f.ts_sec, f.ts_usec, f.proto_type, f.capture_id,
               f.auth_key, f.payload, f.correlation_id}

local by_type = {
  [1] = f.family, [2] = f.ip_proto, [3] = f.src_ip4, [4] = f.dst_ip4, [5] = f.src_ip6,
  [6] = f.dst_ip6, [7] = f.src_port, [8] = f.dst_port, [9] = f.ts_sec, [10] = f.ts_usec,
  [11] = f.proto_type, [12] = f.capture_id, [14] = f.auth_key, [17] = f.correlation_id,
}

local sip = Dissector.get("sip")

function hep3.dissector(buf, pinfo, tree)
  if buf:len() < 6 or buf(0, 4):string() ~= "HEP3" then return 0 end
  local total = buf(4, 2):uint()
  if total > buf:len() then return 0 end
  pinfo.cols.protocol = "HEP3"
  local t = tree:add(hep3, buf(0, total))
  t:add(f.length, buf(4, 2))
  local off = 6
  local payload = nil
  while off + 6 <= total do
    local vendor = buf(off, 2):uint()
    local ctype = buf(off + 2, 2):uint()
    local clen = buf(off + 4, 2):uint()
    if clen < 6 or off + clen > total then break end
    if vendor == 0 and clen > 6 then
      local value = buf(off + 6, clen - 6)
      if ctype == 15 then
        t:add(f.payload, value)
        payload = value
      elseif by_type[ctype] ~= nil then
        t:add(by_type[ctype], value)
      end
    end
    off = off + clen
  end
  if payload ~= nil then sip:call(payload:tvb(), pinfo, tree) end
  return total
end

DissectorTable.get("udp.port"):add(9060, hep3)
DissectorTable.get("tcp.port"):add(9060, hep3)
