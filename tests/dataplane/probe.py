#!/usr/bin/python3
"""Traffic probes that the data-plane tests run INSIDE an instance (`openvpc exec ID -- python3 probe.py ...`).

Standard library only: it runs under the system /usr/bin/python3, which sees the host's filesystem
from inside the instance's network namespace. Every command prints one line per event, flushed,
so that the test reading its stdout sees events as they happen.

  serve tcp|udp PORT           echo server on PORT of every address, IPv4 and IPv6 (one dual-stack
                               socket on [::], or 0.0.0.0 alone where the kernel has no IPv6); prints
                               "ready", then "conn IP PORT" per TCP connection or "recv IP PORT DATA"
                               per UDP datagram (and echoes it); an IPv4 peer is printed as IPv4
  tcp HOST PORT [opts]         connect, send MSG + newline, expect the echo; exit 0 on echo, 1 otherwise
  udp HOST PORT [opts]         send MSG; with --reply wait for the echo (exit 0 on echo, 1 on timeout)
  session HOST PORT [opts]     one long-lived TCP connection: prints "connected" (or "connect-failed"
                               and exit 2), then for every line read on stdin sends it and prints
                               "ok LINE" when the echo arrives within --timeout, else "timeout LINE";
                               with --udp one connected UDP socket (one 5-tuple) instead
  rs IFACE                     IPv6 router solicitation on IFACE; prints "ra SRC M=.. O=.. lifetime=..
                               prefix=P/LEN L=.. A=.." for the first router advertisement within
                               --timeout (exit 0), else "no-ra" (exit 1)
opts: --timeout SECONDS (default 1.5), --msg TEXT (default "hello"), --bind IP (source address)
HOST and --bind may be IPv4 or IPv6 addresses (an address with ':' is IPv6).
"""
import argparse
import ipaddress
import socket
import struct
import sys
import threading
import time


def say(*words):
    print(*words, flush=True)


def family(*addresses):
    """AF_INET6 when any of the addresses is an IPv6 one, else AF_INET."""
    return socket.AF_INET6 if any(a and ":" in a for a in addresses) else socket.AF_INET


def peer_text(address):
    """An IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) as a.b.c.d."""
    return address[7:] if address.startswith("::ffff:") and "." in address else address


def listening_socket(kind, port):
    """One socket for IPv4 and IPv6 on [::]:PORT; 0.0.0.0:PORT alone where IPv6 is unavailable."""
    try:
        s = socket.socket(socket.AF_INET6, kind)
        try:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", port))
            return s
        except OSError:
            s.close()
            raise
    except OSError:
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        return s


def serve(proto, port):
    if proto == "tcp":
        srv = listening_socket(socket.SOCK_STREAM, port)
        srv.listen(64)
        say("ready")

        def echo(conn, peer):
            say("conn", peer_text(peer[0]), peer[1])
            with conn:
                try:
                    first = True
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            return
                        if first:  # a connection that carries data (a load balancer's checks carry none)
                            say("data", peer_text(peer[0]), peer[1])
                            first = False
                        conn.sendall(data)
                except OSError:
                    return

        while True:
            conn, peer = srv.accept()
            threading.Thread(target=echo, args=(conn, peer), daemon=True).start()
    else:
        srv = listening_socket(socket.SOCK_DGRAM, port)
        say("ready")
        while True:
            data, peer = srv.recvfrom(65536)
            say("recv", peer_text(peer[0]), peer[1], data.decode(errors="replace").strip())
            try:
                srv.sendto(b"echo:" + data, peer)
            except OSError:
                pass


def tcp_socket(args):
    s = socket.socket(family(args.host, args.bind), socket.SOCK_STREAM)
    if args.bind:
        s.bind((args.bind, 0))
    s.settimeout(args.timeout)
    return s


def recv_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed by peer")
        buf += chunk
    return buf.decode().rstrip("\n")


def tcp(args):
    s = tcp_socket(args)
    try:
        s.connect((args.host, args.port))
        s.sendall(args.msg.encode() + b"\n")
        got = recv_line(s)
    except OSError as e:
        say("fail", type(e).__name__, e)
        return 1
    finally:
        s.close()
    say("echo", got)
    return 0 if got == args.msg else 1


def udp(args):
    s = socket.socket(family(args.host, args.bind), socket.SOCK_DGRAM)
    if args.bind:
        s.bind((args.bind, 0))
    s.settimeout(args.timeout)
    try:
        s.sendto(args.msg.encode(), (args.host, args.port))
        say("sent")
        if not args.reply:
            return 0
        data, peer = s.recvfrom(65536)
    except OSError as e:
        say("fail", type(e).__name__, e)
        return 1
    say("reply", peer[0], data.decode(errors="replace"))
    return 0 if data == b"echo:" + args.msg.encode() else 1


def udp_session(args):
    s = socket.socket(family(args.host), socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    s.connect((args.host, args.port))  # fixes the local port: every datagram is the same flow
    say("connected")
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            s.send(line.encode())
            while True:  # a late echo of an earlier datagram is skipped
                data = s.recv(65536)
                if data == b"echo:" + line.encode():
                    break
            say("ok", line)
        except socket.timeout:
            say("timeout", line)
        except OSError as e:
            say("error", line, type(e).__name__)
    return 0


def session(args):
    if args.udp:
        return udp_session(args)
    s = tcp_socket(args)
    try:
        s.connect((args.host, args.port))
    except OSError as e:
        say("connect-failed", type(e).__name__, e)
        return 2
    say("connected")
    pending = b""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            s.sendall(line.encode() + b"\n")
            # An echo that arrived late (after an earlier timeout) is skipped, not taken for this one.
            while True:
                while b"\n" not in pending:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise ConnectionError("closed by peer")
                    pending += chunk
                got, pending = pending.split(b"\n", 1)
                if got.decode() == line:
                    break
            say("ok", line)
        except socket.timeout:
            say("timeout", line)
        except OSError as e:
            say("error", line, type(e).__name__)
    return 0


ND_ROUTER_SOLICIT, ND_ROUTER_ADVERT, ND_OPT_PREFIX_INFORMATION = 133, 134, 3


def router_solicitation(args):
    """Send one RS to ff02::2 (all routers) on the interface and report the first RA that comes back."""
    ifindex = socket.if_nametoindex(args.a)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)  # the kernel sums ICMPv6
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.a.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)  # RFC 4861: hop limit 255
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.sendto(struct.pack("!BBHI", ND_ROUTER_SOLICIT, 0, 0, 0), ("ff02::2", 0, 0, ifindex))
    deadline = time.monotonic() + args.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            say("no-ra")
            return 1
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(65536)
        except socket.timeout:
            continue
        if len(data) < 16 or data[0] != ND_ROUTER_ADVERT:
            continue
        flags, lifetime = data[5], struct.unpack("!H", data[6:8])[0]
        words = ["ra", peer[0].split("%")[0], f"M={flags >> 7 & 1}", f"O={flags >> 6 & 1}", f"lifetime={lifetime}"]
        at = 16
        while at + 2 <= len(data) and data[at + 1]:
            kind, size = data[at], data[at + 1] * 8
            if kind == ND_OPT_PREFIX_INFORMATION and size == 32:
                prefix = ipaddress.IPv6Address(data[at + 16:at + 32])
                pflags = data[at + 3]
                words += [f"prefix={prefix}/{data[at + 2]}", f"L={pflags >> 7 & 1}", f"A={pflags >> 6 & 1}"]
            at += size
        say(*words)
        return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["serve", "tcp", "udp", "session", "rs"])
    p.add_argument("a")
    p.add_argument("b", type=int, nargs="?")
    p.add_argument("--timeout", type=float, default=1.5)
    p.add_argument("--msg", default="hello")
    p.add_argument("--bind")
    p.add_argument("--reply", action="store_true")
    p.add_argument("--udp", action="store_true")
    args = p.parse_args()
    if args.cmd == "serve":
        return serve(args.a, args.b)
    if args.cmd == "rs":
        return router_solicitation(args)
    args.host, args.port = args.a, args.b
    return {"tcp": tcp, "udp": udp, "session": session}[args.cmd](args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
