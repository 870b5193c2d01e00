#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<harness>/ (committed; rerun after changing this file).

Real requests (botocore's EC2 serializer and SigV4 signer, as the aws CLI sends them), frames
built to the RFCs, and the captures the unit tests hold (tcpdump's DHCPv6 pcaps, Wireshark's
ND frames). Deterministic: the same files every run.
"""
import hashlib
import ipaddress
import json
import os
import shutil
import struct
import sys
from datetime import datetime, timezone
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
NOW = datetime(2025, 1, 15, 12, 0, 0, tzinfo=timezone.utc)  # the clock of sigv4_fuzz.cc


def h(s):
    return bytes.fromhex(s.replace(" ", "").replace("\n", ""))


def write(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- API: decoder, SigV4, HTTP -----------------------------------------------------------------

def example_params(ours, shape, depth=0, full=True, member_name=""):
    """Values for SHAPE (botocore's), limited to the members openvpc's model keeps (OURS)."""
    t = shape.type_name
    if t == "structure":
        if depth > 5:
            return None
        out = {}
        kept = ours.get(shape.name, {}).get("members", {})
        for name, member in shape.members.items():
            if name not in kept or (not full and name not in shape.required_members):
                continue
            v = example_params(ours, member, depth + 1, full, name)
            if v is not None:
                out[name] = v
        return out
    if t == "list":
        v = example_params(ours, shape.member, depth + 1, full, member_name)
        return [] if v is None else [v, v] if full else [v]
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        n = member_name.lower()
        if "cidr" in n:
            return "10.0.0.0/16"
        if "ip" in n and "address" in n:
            return "10.0.1.5"
        return "vpc-0123456789abcdef0" if "id" in n else "x"
    if t == "boolean":
        return True
    if t in ("integer", "long"):
        return shape.metadata.get("min", 5) if shape.metadata.get("min", 5) > 5 else 5
    if t in ("double", "float"):
        return 1.5
    if t == "timestamp":
        return NOW
    if t == "blob":
        return b"hello"
    return None


def ec2_requests():
    """(operation, body dict) pairs: every operation of shapes/ec2.json, required members only
    and every member, serialized as botocore serializes EC2 queries."""
    import botocore.session
    from botocore.serialize import create_serializer

    ours_model = json.load(open(os.path.join(ROOT, "src", "api", "shapes", "ec2.json")))
    ours = sorted(ours_model["operations"])
    model = botocore.session.get_session().get_service_model("ec2")
    ser = create_serializer("ec2")
    out = []
    for i, op in enumerate(ours):
        om = model.operation_model(op)
        for full in (False, True):
            params = example_params(ours_model["shapes"], om.input_shape, full=full) if om.input_shape else {}
            req = ser.serialize_to_request(params, om)
            out.append((i, op, full, req["body"]))
    return out


def decoder_seeds(requests):
    for i, op, full, body in requests:
        lines = "".join(f"{k}={v}\n" for k, v in body.items())
        write("decode", f"{op}{'-full' if full else ''}", bytes([i]) + lines.encode())
    # Shapes the generator does not make: gaps in list indices, an empty list, bad values.
    ops = [r[1] for r in requests[::2]]
    i = ops.index("DescribeVpcs")
    write("decode", "gaps", bytes([i]) + b"Filter.3.Name=tag:Name\nFilter.3.Value.7=a\nFilter.1.Name=vpc-id\nVpcId=\nMaxResults=1000\n")
    write("decode", "bad-values", bytes([i]) + b"MaxResults=99999999999999999999\nDryRun=maybe\nFilter.0.Name=x\n")
    # SSM's operations follow EC2's (sorted): their input is a JSON body.
    ec2_ops = len({op for _, op, _, _ in requests})
    ssm_ops = sorted(json.load(open(os.path.join(ROOT, "src", "api", "shapes", "ssm.json")))["operations"])
    bodies = {"GetParameter": [{"Name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64:1"},
                               {"Name": 5}, {}],
              "GetParameters": [{"Names": ["/aws/service/debian/release/12/latest/amd64", "/x"]}, {"Names": []}],
              "GetParametersByPath": [{"Path": "/aws/service", "Recursive": True, "MaxResults": 3,
                                       "ParameterFilters": [{"Key": "Type", "Values": ["String"]}]},
                                      {"Path": "/", "MaxResults": 50, "NextToken": "x"}]}
    for j, op in enumerate(ssm_ops):
        for k, body in enumerate(bodies.get(op, [{}])):
            write("decode", f"ssm-{op}-{k}", bytes([ec2_ops + j]) + json.dumps(body).encode())


def signed(method, url, body, headers, presign=False, expires=300):
    from botocore.auth import SigV4Auth, SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = Credentials("test", "test")
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        if presign:
            SigV4QueryAuth(creds, "ec2", "us-east-1", expires=expires).add_auth(req)
        else:
            SigV4Auth(creds, "ec2", "us-east-1").add_auth(req)
    p = req.prepare()
    target = p.url.split("://", 1)[1]
    target = target[target.index("/"):] if "/" in target else "/"
    hdrs = dict(p.headers)
    hdrs.setdefault("Host", "127.0.0.1:4566")
    return p.method, target, hdrs, (p.body or b"")


def as_text(method, target, headers, body):
    if isinstance(body, str):
        body = body.encode()
    head = f"{method} {target}\n" + "".join(f"{k}: {v}\n" for k, v in headers.items()) + "\n"
    return head.encode() + body


def as_http(method, target, headers, body, extra=()):
    if isinstance(body, str):
        body = body.encode()
    hdrs = dict(headers)
    hdrs.update(extra)
    if body and "Content-Length" not in hdrs and "Transfer-Encoding" not in hdrs:
        hdrs["Content-Length"] = str(len(body))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    return head.encode() + body


def sigv4_and_http_seeds():
    url = "http://127.0.0.1:4566/"
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    reqs = {
        "post-describe-vpcs": signed("POST", url, "Action=DescribeVpcs&Version=2016-11-15", form),
        "post-create-tags": signed("POST", url, "Action=CreateTags&Version=2016-11-15&ResourceId.1=vpc-1"
                                   "&Tag.1.Key=Name&Tag.1.Value=a%20b%2Fc", form),
        "get-query": signed("GET", url + "?Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1", None, {}),
        "presigned": signed("GET", url + "?Action=DescribeVpcs&Version=2016-11-15", None, {}, presign=True),
        "presigned-week": signed("GET", url + "?Action=DescribeVpcs&Version=2016-11-15", None, {}, presign=True,
                                 expires=604800),
        "security-token": signed("POST", url, "Action=DescribeVpcs&Version=2016-11-15",
                                 dict(form, **{"X-Amz-Security-Token": "tok"})),
        "content-sha256": signed("POST", url, "Action=DescribeVpcs&Version=2016-11-15",
                                 dict(form, **{"X-Amz-Content-SHA256": hashlib.sha256(
                                     b"Action=DescribeVpcs&Version=2016-11-15").hexdigest()})),
    }
    for name, (m, t, hd, b) in reqs.items():
        write("sigv4", name, as_text(m, t, hd, b))
        write("http_request", name, b"\x07" + as_http(m, t, hd, b))
    m, t, hd, b = reqs["post-describe-vpcs"]
    hd2 = dict(hd)
    hd2["Authorization"] = hd["Authorization"]
    write("sigv4", "unsigned", as_text("POST", "/", {"Host": "localhost"}, "Action=DescribeVpcs"))
    # Found by sigv4_fuzz (fixed in e8b66c4): a date centuries away overflowed the clock.
    m2, t2, hd2, b2 = reqs["get-query"]
    write("sigv4", "amz-date-year-0225", as_text(m2, t2, dict(hd2, **{"X-Amz-Date": "02250115T120000Z"}), b2))
    write("sigv4", "duplicate-authorization",
          as_text(m, t, hd, b).replace(b"\n\n", f"\nAuthorization: {hd['Authorization']}\n\n".encode(), 1))
    # HTTP: pipelined keep-alive, chunked, 100-continue, read one byte at a time, HTTP/1.0.
    one = as_http(m, t, hd, b)
    write("http_request", "pipelined", b"\x40" + one + one + as_http("GET", "/?Action=DescribeVpcs", {"Host": "h"}, b""))
    chunked = as_http(m, t, hd, b"", {"Transfer-Encoding": "chunked", "Content-Length": None})
    chunked = chunked.replace(b"Content-Length: None\r\n", b"")
    body = b"Action=DescribeVpcs&Version=2016-11-15"
    write("http_request", "chunked", b"\x03" + chunked + b"%x;ext=1\r\n" % 10 + body[:10] + b"\r\n" +
          b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\nTrailer: x\r\n\r\n")
    write("http_request", "expect-continue", b"\x00" + as_http(m, t, hd, b, {"Expect": "100-continue"}))
    write("http_request", "http10", b"\x05" + b"POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
    write("http_request", "folded-header", b"\x09" + b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  b\r\nConnection: close\r\n\r\n")


# ---- metadata service ---------------------------------------------------------------------------

def imds_seeds():
    def get(path, token=None, close=False):
        hd = "Host: 169.254.169.254\r\n" + (f"X-aws-ec2-metadata-token: {token}\r\n" if token else "")
        hd += "Connection: close\r\n" if close else ""
        return f"GET {path} HTTP/1.1\r\n{hd}\r\n".encode()
    put = (b"PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
           b"X-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\n\r\n")
    paths = ["/", "/latest/meta-data/", "/latest/meta-data/instance-id", "/latest/user-data",
             "/latest/dynamic/instance-identity/document", "/latest/meta-data/network/interfaces/macs/",
             "/latest/meta-data/network/interfaces/macs/02:1a:2b:3c:4d:5e/local-ipv4s",
             "/latest/meta-data/public-keys/0/openssh-key", "/2009-04-04/meta-data/placement/availability-zone",
             "/latest/meta-data/iam/", "/latest/meta-data/nothing?x=1"]
    write("imds", "v1-tree", b"\xfc" + b"".join(get(p) for p in paths))
    write("imds", "v2-token", b"\x41" + put + get("/latest/meta-data/instance-id", "@TOKEN@") +
          get("/latest/meta-data/local-ipv4", "@TOKEN@", close=True))
    write("imds", "v2-required-no-token", b"\x05" + get("/latest/meta-data/"))
    write("imds", "unknown-caller", b"\x82" + put + get("/latest/meta-data/"))
    write("imds", "bad-ttl", b"\x00" + put.replace(b"21600", b"0") + put.replace(b"21600", b"21601"))
    write("imds", "forwarded", b"\x20" + put.replace(b"\r\n\r\n", b"\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"))


# ---- data plane ---------------------------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


MAC_GUEST = h("02 1a 2b 3c 4d 5e")
MAC_ROUTER = h("02 00 00 00 00 01")


def ip4(a):
    return ipaddress.IPv4Address(a).packed


def ip6(a):
    return ipaddress.IPv6Address(a).packed


def ipv4_packet(src, dst, proto, l4, ident=0x1234, flags_frag=0x4000, ttl=64, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(l4), ident, flags_frag, ttl, proto, 0,
                      ip4(src), ip4(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def l4_with_checksum(src, dst, proto, l4, offset, v6=False):
    pseudo = (ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(l4), proto)) if v6 else \
        (ip4(src) + ip4(dst) + struct.pack("!xBH", proto, len(l4)))
    c = csum(pseudo + l4)
    return l4[:offset] + struct.pack("!H", c or 0xFFFF) + l4[offset + 2:]


def tcp(src, dst, sport, dport, flags, payload=b"", v6=False, seq=1000, ack=0):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 64240, 0, 0) + payload
    return l4_with_checksum(src, dst, 6, seg, 16, v6)


def udp(src, dst, sport, dport, payload, v6=False):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return l4_with_checksum(src, dst, 17, seg, 6, v6)


def icmp_echo(ident, seq, payload=b"x" * 32, typ=8):
    m = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + payload
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def eth(ether_type, payload, dst=MAC_ROUTER, src=MAC_GUEST):
    return dst + src + struct.pack("!H", ether_type) + payload


def ipv6_packet(src, dst, next_header, payload, hop=64):
    return struct.pack("!IHBB", 0x60000000, len(payload), next_header, hop) + ip6(src) + ip6(dst) + payload


def record(port_byte, frame):
    """One frame of engine_fuzz.cc's input."""
    return bytes([port_byte]) + struct.pack("!H", len(frame)) + frame


def underlay_record(port_byte, frame, decided=False):
    """A datagram from the underlay in engine_fuzz.cc's input: VXLAN (I and O flags, D when
    decided), the virtio-net header, the frame; the length's top bit marks it."""
    datagram = bytes([0x08, 0x01 | (0x02 if decided else 0), 0, 0, 0, 0, 1, 0]) + vnet(frame)
    return bytes([port_byte]) + struct.pack("!H", 0x8000 | len(datagram)) + datagram


def vnet(frame, flags=0, gso_type=0, csum_start=0, csum_offset=0, gso_size=0):
    return struct.pack("<BBHHHH", flags, gso_type, 0, gso_size, csum_start, csum_offset) + frame


def dhcp_message(mtype, xid=0x3903F326, mac=MAC_GUEST, options=b"", ciaddr="0.0.0.0", flags=0):
    m = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, flags, ip4(ciaddr), ip4("0.0.0.0"), ip4("0.0.0.0"),
                    ip4("0.0.0.0"))
    m += mac + b"\0" * 10 + b"\0" * 64 + b"\0" * 128 + h("63 82 53 63")
    m += bytes([53, 1, mtype]) + options + b"\xff"
    return m


def dns_query(ident, name, qtype, rd=True, extra=b""):
    q = struct.pack("!HHHHHH", ident, 0x0100 if rd else 0, 1, 0, 0, 1 if extra else 0)
    for label in name.split("."):
        if label:
            q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1) + extra


def data_plane_seeds():
    g, r, dns = "10.0.1.5", "10.0.1.1", "10.0.0.2"
    g6, peer6 = "2600:1f18:abc:de01::7", "2600:1f18:abc:de02::9"
    frames = {
        "arp-request": eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_GUEST + ip4(g) + b"\0" * 6 + ip4(r),
                           dst=b"\xff" * 6),
        "tcp-syn": eth(0x0800, ipv4_packet(g, "10.0.2.9", 6, tcp(g, "10.0.2.9", 40000, 80, 0x02))),
        "tcp-data": eth(0x0800, ipv4_packet(g, "93.184.216.34", 6, tcp(g, "93.184.216.34", 40000, 443, 0x18,
                                                                          b"GET / HTTP/1.1\r\n\r\n", ack=77))),
        "tcp-fin-no-ack": eth(0x0800, ipv4_packet(g, "10.0.2.9", 6, tcp(g, "10.0.2.9", 40000, 80, 0x01, b"bye"))),
        "udp-dns": eth(0x0800, ipv4_packet(g, dns, 17, udp(g, dns, 53000, 53, dns_query(7, "example.com", 1)))),
        "udp-no-checksum": eth(0x0800, ipv4_packet(g, "10.0.2.9", 17, struct.pack("!HHHH", 5000, 6000, 12, 0) + b"abcd")),
        "dhcp-discover": eth(0x0800, ipv4_packet("0.0.0.0", "255.255.255.255", 17,
                                                 udp("0.0.0.0", "255.255.255.255", 68, 67, dhcp_message(1))),
                             dst=b"\xff" * 6),
        "icmp-echo": eth(0x0800, ipv4_packet(g, "8.8.8.8", 1, icmp_echo(0x77, 1))),
        "ip-options": eth(0x0800, ipv4_packet(g, "10.0.2.9", 17, udp(g, "10.0.2.9", 1, 2, b"z"),
                                              options=h("94 04 00 00"))),
        "first-fragment": eth(0x0800, ipv4_packet(g, "10.0.2.9", 17, udp(g, "10.0.2.9", 5000, 6000, b"a" * 100)[:48],
                                                  ident=0x99, flags_frag=0x2000)),
        "later-fragment": eth(0x0800, ipv4_packet(g, "10.0.2.9", 17, b"a" * 60, ident=0x99, flags_frag=6)),
        "big-df": eth(0x0800, ipv4_packet(g, "93.184.216.34", 17, udp(g, "93.184.216.34", 5000, 6000, b"b" * 2000))),
        "big": eth(0x0800, ipv4_packet(g, "93.184.216.34", 17, udp(g, "93.184.216.34", 5000, 6000, b"c" * 3200),
                                       flags_frag=0)),
        "tcp6": eth(0x86DD, ipv6_packet(g6, peer6, 6, tcp(g6, peer6, 40000, 22, 0x02, v6=True))),
        "udp6": eth(0x86DD, ipv6_packet(g6, peer6, 17, udp(g6, peer6, 5000, 6000, b"hello", v6=True))),
        "icmp6-echo": eth(0x86DD, ipv6_packet(g6, peer6, 58, h("80 00 00 00 00 2a 00 01") + b"ping")),
        "ndp-ns": eth(0x86DD, ipv6_packet("2001:beba:baba:10:a9e:1ff:fe43:f2eb", "ff02::1:ff00:2", 58,
                                          h("87 00 4b f4 00 00 00 00") + ip6("2001:beba:baba:10::2") +
                                          h("01 01 08 9e 01 43 f2 eb"), hop=255)),
        "ipv6-ext-headers": eth(0x86DD, ipv6_packet(g6, peer6, 0, h("3c 00 01 04 00 00 00 00") +  # hop-by-hop
                                                    h("2c 00 00 00 00 00 00 00") +  # destination options
                                                    h("11 00 00 01 00 00 ab cd") +  # fragment, first
                                                    udp(g6, peer6, 5000, 6000, b"x" * 40, v6=True))),
        "ipv6-later-fragment": eth(0x86DD, ipv6_packet(g6, peer6, 44, h("11 00 00 08 00 00 ab cd") + b"y" * 64)),
        "ipv6-ah": eth(0x86DD, ipv6_packet(g6, peer6, 51, h("06 04 00 00 00 00 01 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00") +
                                           tcp(g6, peer6, 1, 2, 0x10, v6=True))),
        "big6": eth(0x86DD, ipv6_packet(g6, peer6, 17, udp(g6, peer6, 5000, 6000, b"d" * 1600, v6=True))),
        "other-ethertype": eth(0x88CC, b"\x02\x07\x04" + MAC_GUEST),
    }
    for name, f in frames.items():
        write("frame", name, vnet(f))
        # The engine: from the peer instance (10.0.1.5, its MAC put in by the harness), 3 s later.
        write("engine", name, record(2 | 4 | 3 << 3, f))
    write("engine", "fragments", record(6, frames["first-fragment"]) + record(6, frames["later-fragment"]))
    write("engine", "conversation", record(6, frames["arp-request"]) + record(6, frames["dhcp-discover"]) +
          record(6, frames["tcp-syn"]) + record(6, frames["tcp-data"]) + record(4 | 8 << 3, frames["udp-dns"]) +
          record(4 | 200, frames["tcp-fin-no-ack"]))
    write("engine", "from-internet", record(4, eth(0x0800, ipv4_packet("93.184.216.34", "198.51.100.1", 6, tcp(
        "93.184.216.34", "198.51.100.1", 443, 40000, 0x12)))) + record(4, frames["arp-request"]))
    # From the instance another host runs: as it came (decided here), and decided there.
    write("engine", "underlay", underlay_record(4, frames["tcp-syn"]) + underlay_record(4, frames["udp-dns"]) +
          underlay_record(4 | 1 << 3, frames["tcp-data"], decided=True) + record(6, frames["tcp-syn"]))
    # Through the load balancer's node (10.0.1.100): a TCP connection with proxy protocol v2 (SYN,
    # ACK, the first bytes) and a UDP datagram.
    node = "10.0.1.100"
    write("engine", "load-balancer",
          record(6, eth(0x0800, ipv4_packet(g, node, 6, tcp(g, node, 40001, 80, 0x02, seq=5000)))) +
          record(6, eth(0x0800, ipv4_packet(g, node, 6, tcp(g, node, 40001, 80, 0x10, seq=5001, ack=1)))) +
          record(6, eth(0x0800, ipv4_packet(g, node, 6, tcp(g, node, 40001, 80, 0x18, b"GET / HTTP/1.0\r\n\r\n",
                                                             seq=5001, ack=1)))) +
          record(6, eth(0x0800, ipv4_packet(g, node, 17, udp(g, node, 40002, 53, b"q" * 20)))))
    # Across families through the dualstack node (records from the peer: port byte 7): IPv6 from
    # the peer (2001:db8:1:100::12) to port 80
    # (IPv4 targets: written as IPv4), IPv4 to port 81 (an IPv6 target: written as IPv6), and
    # what the targets answer; a GSO frame with its checksum left to offload.
    g6, node6, server6 = "2001:db8:1:100::12", "2001:db8:1:100::100", "2001:db8:1:100::10"
    write("engine", "load-balancer-dualstack",
          record(7, eth(0x86dd, ipv6_packet(g6, node6, 6, tcp(g6, node6, 40010, 80, 0x02, v6=True, seq=9000)))) +
          record(7, eth(0x86dd, ipv6_packet(g6, node6, 6, tcp(g6, node6, 40010, 80, 0x18, b"six to four", v6=True,
                                                              seq=9001, ack=1)))) +
          record(7, eth(0x0800, ipv4_packet(g, node, 6, tcp(g, node, 40011, 81, 0x02, seq=9100)))) +
          record(5, eth(0x86dd, ipv6_packet(server6, "2001:db8:1:100::100", 6,
                                            tcp(server6, node6, 8080, 40011, 0x12, v6=True, seq=1, ack=9101)))) +
          record(7, eth(0x86dd, ipv6_packet(g6, node6, 17, udp(g6, node6, 40012, 53, b"q" * 20, v6=True)))))
    # Through an interface endpoint (10.0.1.50) to the same load balancer's service (PrivateLink).
    vpce = "10.0.1.50"
    write("engine", "interface-endpoint",
          record(6, eth(0x0800, ipv4_packet(g, vpce, 6, tcp(g, vpce, 40004, 80, 0x02, seq=7000)))) +
          record(6, eth(0x0800, ipv4_packet(g, vpce, 6, tcp(g, vpce, 40004, 80, 0x18, b"hello", seq=7001, ack=1)))) +
          record(6, eth(0x0800, ipv4_packet(g, vpce, 17, udp(g, vpce, 40005, 80, b"not tcp")))))
    # Through the S3 gateway endpoint (the public subnet's table): to S3's address from the server
    # (port 0), and S3's answer to the alias of port 0 (100.64.0.1) from the internet.
    s3 = "192.0.2.64"
    server = "10.0.1.4"
    write("engine", "gateway-endpoint",
          record(5, eth(0x0800, ipv4_packet(server, s3, 6, tcp(server, s3, 40006, 443, 0x02)))) +
          record(4, eth(0x0800, ipv4_packet(s3, "100.64.0.1", 6, tcp(s3, "100.64.0.1", 443, 40006, 0x12)))))
    # Geneve from an appliance: AWS's options (class 0x0108: endpoint id, attachment id, flow
    # cookie) and the packet it returns.
    inner = ipv4_packet(g, "10.0.2.9", 6, tcp(g, "10.0.2.9", 40000, 80, 0x02))
    aws = (struct.pack("!HBBQ", 0x0108, 1, 2, 0x123456789ABCDEF0) + struct.pack("!HBBQ", 0x0108, 2, 2, 0) +
           struct.pack("!HBBI", 0x0108, 3, 1, 0xDEADBEEF))
    # Through the Gateway Load Balancer endpoint (10.0.2.128/25 from the public subnet) to the
    # appliance (the peer), and Geneve from the appliance to the node (10.0.2.200).
    write("engine", "gateway-load-balancer",
          record(6, eth(0x0800, ipv4_packet(g, "10.0.2.130", 6, tcp(g, "10.0.2.130", 40003, 80, 0x02)))) +
          record(6, eth(0x0800, ipv4_packet(g, "10.0.2.200", 17, udp(g, "10.0.2.200", 6081, 6081,
                                                                      bytes([len(aws) // 4, 0]) + struct.pack("!HI", 0x0800, 0) +
                                                                      aws + inner)))))
    write("geneve", "aws-options", bytes([len(aws) // 4, 0]) + struct.pack("!HI", 0x0800, 0) + aws + inner)
    write("geneve", "no-options", bytes([0, 0]) + struct.pack("!HI", 0x0800, 0) + inner)
    write("engine", "metadata", record(6, eth(0x0800, ipv4_packet(g, "169.254.169.254", 6, tcp(
        g, "169.254.169.254", 40000, 80, 0x02)))) + record(3, eth(0x0800, ipv4_packet(
            "169.254.169.254", "100.64.0.3", 6, tcp("169.254.169.254", "100.64.0.3", 80, 40000, 0x12)))))
    # Checksum offload as the guest's kernel hands it over (csum_start at L4, pseudo-header sum).
    t = frames["tcp-data"]
    write("frame", "tcp-needs-csum", vnet(t, flags=1, csum_start=34, csum_offset=16))
    u = frames["udp6"]
    write("frame", "udp6-needs-csum", vnet(u, flags=1, csum_start=54, csum_offset=6))
    write("frame", "gso-tcp", vnet(frames["tcp-data"][:14] + ipv4_packet(g, "93.184.216.34", 6, tcp(
        g, "93.184.216.34", 40000, 443, 0x10, b"e" * 3000)), flags=1, gso_type=1, gso_size=1448, csum_start=34,
        csum_offset=16))

    # DHCPv4 (udp payloads), options: 55 parameter list, 57 max size, 50 requested, 61 client id,
    # 12 hostname, 52 overload (file and sname carry options).
    prl = bytes([55, 9, 1, 3, 6, 12, 15, 26, 28, 42, 121])
    write("dhcp", "discover", dhcp_message(1, options=prl + bytes([57, 2, 5, 220, 61, 7, 1]) + MAC_GUEST))
    write("dhcp", "request", dhcp_message(3, options=bytes([50, 4]) + ip4(g) + bytes([54, 4]) + ip4(r) + prl +
                                          bytes([12, 4]) + b"host"))
    write("dhcp", "request-other", dhcp_message(3, options=bytes([50, 4]) + ip4("10.0.1.99")))
    write("dhcp", "renew-ciaddr", dhcp_message(3, ciaddr=g, options=prl))
    write("dhcp", "inform", dhcp_message(8, ciaddr=g, options=prl, flags=0x8000))
    write("dhcp", "release", dhcp_message(7, ciaddr=g, options=bytes([54, 4]) + ip4(r)))
    write("dhcp", "decline", dhcp_message(4, options=bytes([50, 4]) + ip4(g)))
    small = dhcp_message(1, options=bytes([57, 2, 2, 64]) + bytes([55, 20]) + bytes(range(1, 21)))
    write("dhcp", "discover-small-max", small)
    ov = bytearray(dhcp_message(3, options=bytes([52, 1, 3])))
    ov[108:108 + 7] = bytes([50, 4]) + ip4(g) + b"\xff"  # file field
    ov[44:44 + 4] = bytes([55, 2, 1, 3])  # sname field (no end: overloaded fields need one)
    ov[48] = 0xFF
    write("dhcp", "overload", bytes(ov))

    # DHCPv6: tcpdump's captures (from tests/unit/dhcp6_test.cc) and messages naming us.
    write("dhcp6", "tcpdump-solicit", h("01 90 b4 5c 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 06 00 04 00 17 00 18 00 08 00 02 00 00"
                                       "00 03 00 0c 02 03 04 05 00 00 0e 10 00 00 15 18"))
    req = h("03 2f fd d1 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 02 00 0e 00 01 00 01 18 46 48 8c 00 11"
            "22 33 44 55 00 06 00 04 00 17 00 18 00 08 00 02 00 00 00 03 00 28 02 03 04 05 00 00 0e 10 00 00"
            "15 18 00 05 00 18 2a 00 00 01 00 01 02 00 38 e6 b2 2e c4 40 ac df 00 00 1c 20 00 00 1d 4c")
    write("dhcp6", "tcpdump-request", req)
    ours = h("00 03 00 01 02 00 0a 00 01 01")  # ServerDuid of dhcp6_fuzz.cc's router MAC
    write("dhcp6", "request-ours", req.replace(h("00 02 00 0e 00 01 00 01 18 46 48 8c 00 11 22 33 44 55"),
                                               h("00 02 00 0a") + ours))
    write("dhcp6", "tcpdump-advertise", h("02 90 b4 5c 00 03 00 28 02 03 04 05 00 00 0e 10 00 00 15 18 00 05 00 18 2a 00 00 01 00 01 02 00"
                                         "38 e6 b2 2e c4 40 ac df 00 00 11 94 00 00 1c 20 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 02"
                                         "00 0e 00 01 00 01 18 46 48 8c 00 11 22 33 44 55"))
    write("dhcp6", "dhclient-solicit", h("01 5e 11 a7 00 01 00 0e 00 01 00 01 2c 8a 1f 3b 02 1a 2b 3c 4d 5e 00 06 00 04 00 17 00 18 00 08"
                                        "00 02 00 00 00 03 00 0c 2b 3c 4d 5e 00 00 00 00 00 00 00 00"))
    write("dhcp6", "rapid-commit-solicit", h("01 ab cd ef 00 0e 00 00 00 03 00 12 0a bc de f0 00 00 d3 4d 00 00 b3 3f 00 06 00 02 00 ad 00 27"
                                            "00 0b 04 09 74 61 70 69 6f 63 61 30 31 00 06 00 0a 00 17 00 18 00 38 00 1f 00 0e 00 01 00 12 00"
                                            "04 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 00 08 00 02 b3 3f"))
    client = h("00 01 00 0e 00 01 00 01 2c 8a 1f 3b 02 1a 2b 3c 4d 5e")
    server = h("00 02 00 0a") + ours
    iaaddr = lambda a: h("00 05 00 18") + ip6(a) + h("00 00 00 00 00 00 00 00")
    ia = lambda *addrs: h("00 03") + struct.pack("!H", 12 + 28 * len(addrs)) + h("2b 3c 4d 5e 00 00 00 00 00 00 00 00") + b"".join(iaaddr(a) for a in addrs)
    oro = h("00 06 00 04 00 17 00 18")
    for name, typ, parts in [
        ("renew", 5, [client, server, ia(g6, "2001:db8::1"), oro]),
        ("rebind", 6, [client, ia(g6), oro]),
        ("confirm", 4, [client, ia(g6, "2001:db8::5")]),
        ("release", 8, [client, server, ia(g6)]),
        ("decline", 9, [client, server, ia(g6)]),
        ("information-request", 11, [oro]),
        ("ia-ta-pd", 1, [client, h("00 04 00 04 00 00 00 07"),
                         h("00 19 00 29 00 00 00 01 00 00 00 00 00 00 00 00 00 1a 00 19 00 00 00 00 00 00 00 00 38")
                         + ip6("2001:db8::") , oro]),
    ]:
        write("dhcp6", name, bytes([typ]) + h("12 34 56") + b"".join(parts))

    # DNS queries.
    write("dns", "a", dns_query(0x0101, "ip-10-0-1-5.ec2.internal", 1))
    write("dns", "aaaa", dns_query(0x0202, "example.com", 28))
    write("dns", "ptr", dns_query(0x0303, "5.1.0.10.in-addr.arpa", 12))
    write("dns", "ptr-as-name", dns_query(0x0200, "5.1.0.10.IN-ADDR.ARPA", 12))
    write("dns", "many-answers", dns_query(0x01F8, "ec2.internal", 1))
    write("dns", "with-opt", dns_query(0x0404, "amazon.com", 1, extra=h("00 00 29 10 00 00 00 00 00 00 00")))
    # Label bytes that need escapes in presentation form: '.', '\\', a space, 0xff.
    write("dns", "escapes", struct.pack("!HHHHHH", 0x0205, 0x0100, 1, 0, 0, 0) + b"\x06a.b\\ \xff\x03com\x00" +
          struct.pack("!HH", 1, 1))
    # A compression pointer in the question (to its own start: refused).
    write("dns", "compressed", struct.pack("!HHHHHH", 0x0606, 0x0100, 1, 0, 0, 0) + b"\x01y\xc0\x0c" +
          struct.pack("!HH", 1, 1))
    write("dns", "root", dns_query(0x0707, "", 2))

    # Neighbor Discovery: source, destination, hop limit, ICMPv6 (captures from tests/unit/ndp_test.cc).
    nd = lambda src, dst, m, hop=255: ip6(src) + ip6(dst) + bytes([hop]) + m
    write("ndp", "ns", nd("2001:beba:baba:10:a9e:1ff:fe43:f2eb", "ff02::1:ff00:2",
                          h("87 00 4b f4 00 00 00 00") + ip6("2001:beba:baba:10::2") + h("01 01 08 9e 01 43 f2 eb")))
    write("ndp", "ns-fd63", nd("fd63::1", "ff02::1:ff00:2",
                               h("87 00 7e ce 00 00 00 00 fd 63 00 00 00 00 00 00 00 00 00 00 00 00 00 02 01 01 00 00 00 00 00 04")))
    write("ndp", "dad", nd("::", "ff02::1:ff8f:bd1c",
                           h("87 00 d8 bb 00 00 00 00 fe 80 00 00 00 00 00 00 14 e5 ff 56 30 8f bd 1c 0e 01 30 48 0a 0a 9b 7c")))
    write("ndp", "rs", nd("fe80::cc96:8bff:fe90:e5bb", "ff02::2", h("85 00 ff 67 00 00 00 00 01 01 ce 96 8b 90 e5 bb")))
    write("ndp", "rs-bare", nd("fe80::14a4:8e99:8a23:c37b", "ff02::2", h("85 00 8c 5a 00 00 00 00")))


# ---- S3 (s3_fuzz.cc: "METHOD TARGET", header lines, an empty line, the body) ----------------

def s3_seeds():
    import base64
    import zlib

    def req(method, target, headers=(), body=b""):
        head = f"{method} {target}\n" + "".join(f"{k}: {v}\n" for k, v in headers)
        return head.encode("latin-1") + b"\n" + body

    crc = base64.b64encode((zlib.crc32(b"hello world") & 0xffffffff).to_bytes(4, "big")).decode()
    chunked = b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:" + crc.encode() + b"\r\n\r\n"
    md5 = base64.b64encode(hashlib.md5(b"<Delete><Object><Key>k</Key></Object></Delete>").digest()).decode()
    write("s3", "create-bucket", req("PUT", "/b1"))
    write("s3", "create-bucket-eu", req("PUT", "/b2", body=b"<CreateBucketConfiguration><LocationConstraint>"
                                                           b"eu-west-1</LocationConstraint></CreateBucketConfiguration>"))
    write("s3", "put-object", req("PUT", "/b1/dir/k%20x", [("Content-Type", "text/plain"), ("x-amz-meta-a", "1"),
                                                            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], b"hello"))
    write("s3", "put-chunked", req("PUT", "/b1/c", [("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                                                    ("Content-Encoding", "aws-chunked"),
                                                    ("x-amz-decoded-content-length", "11"),
                                                    ("x-amz-trailer", "x-amz-checksum-crc32")], chunked))
    write("s3", "get-range", req("GET", "/b1/dir/k%20x", [("Range", "bytes=1-3"), ("x-amz-checksum-mode", "ENABLED")]))
    write("s3", "get-suffix", req("GET", "/b1/dir/k%20x", [("Range", "bytes=-2"), ("If-None-Match", '"x"')]))
    write("s3", "list-v2", req("GET", "/b1?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=1&encoding-type=url"))
    write("s3", "list-v1", req("GET", "/b1?marker=a&delimiter=/"))
    write("s3", "delete-objects", req("POST", "/b1?delete", [("Content-MD5", md5)],
                                      b"<Delete><Object><Key>k</Key></Object></Delete>"))
    write("s3", "mpu-create", req("POST", "/b1/big?uploads", [("x-amz-checksum-algorithm", "CRC32")]))
    write("s3", "mpu-complete", req("POST", "/b1/big?uploadId=x", body=b"<CompleteMultipartUpload><Part><PartNumber>1"
                                    b"</PartNumber><ETag>&quot;e&quot;</ETag></Part></CompleteMultipartUpload>"))
    write("s3", "copy", req("PUT", "/b1/copy", [("x-amz-copy-source", "/b1/dir/k%20x"),
                                               ("x-amz-metadata-directive", "REPLACE")]))
    write("s3", "policy", req("PUT", "/b1?policy", body=json.dumps({"Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b1/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}).encode()))
    write("s3", "virtual-host", req("GET", "/k?x-id=GetObject", [("Host", "b1.s3.us-east-1.amazonaws.com")]))
    write("s3", "metadata-not-ascii", req("PUT", "/b1/k", [("Content-Type", "text/pl\x89in")]))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    try:
        requests = ec2_requests()
    except ImportError:
        sys.exit("make_seeds.py needs botocore (python3-botocore or pip's)")
    decoder_seeds(requests)
    sigv4_and_http_seeds()
    imds_seeds()
    data_plane_seeds()
    s3_seeds()
    n = sum(len(files) for _, _, files in os.walk(OUT))
    print(f"{n} seed files in {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
