"""Programs the gateway tests run with `python3 -c` inside namespaces (standard library only): a server
that tells each sender the address and port it saw it at, and its client."""

# PEER_SERVER SPEC...: SPEC is tcp:PORT (answers each line L with "IP PORT L", the sender as seen here),
# echo:PORT (echoes each line), udp:PORT (answers each datagram D with "IP PORT D"), raw:PROTO (reports
# packets of IP protocol PROTO: "icmp SRC ID" per echo request, "proto-N SRC" otherwise). Prints "ready"
# once all are bound, then "conn IP PORT LPORT" per TCP connection and "recv IP PORT D" per datagram.
PEER_SERVER = r'''
import socket, sys, threading
def say(*w): print(*w, flush=True)
def tcp_loop(srv, lport, echo):
    def serve(conn, peer):
        say("conn", peer[0], peer[1], lport)
        buf = b""
        with conn:
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk: return
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        out = line if echo else ("%s %d " % peer).encode() + line
                        conn.sendall(out + b"\n")
            except OSError:
                return
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
def udp_loop(srv):
    while True:
        data, peer = srv.recvfrom(65536)
        say("recv", peer[0], peer[1], data.decode(errors="replace"))
        srv.sendto(("%s %d " % peer).encode() + data, peer)
def raw_loop(srv, proto):
    while True:
        data, peer = srv.recvfrom(65536)
        ihl = (data[0] & 15) * 4
        if proto == 1:
            if data[ihl] == 8: say("icmp", peer[0], int.from_bytes(data[ihl + 4:ihl + 6], "big"))
        else:
            say("proto-%d" % proto, peer[0])
loops = []
for spec in sys.argv[1:]:
    kind, arg = spec.split(":")
    if kind == "raw":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, int(arg))
        loops.append((raw_loop, (s, int(arg))))
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(arg)))
    if kind == "udp":
        loops.append((udp_loop, (s,)))
    else:
        s.listen(64)
        loops.append((tcp_loop, (s, int(arg), kind == "echo")))
for fn, args in loops:
    threading.Thread(target=fn, args=args, daemon=True).start()
say("ready")
threading.Event().wait()
'''

# CLIENT tcp|udp HOST PORT [--count K] [--sport N] [--tag T] [--timeout S] [--hold S] [--send-only]:
# opens K connections (TCP) or sockets (UDP) at once, from source port N when given, sends "T<i>" on
# each and reads PEER_SERVER's answer: prints "reply IP PORT MSG" per connection (the address and port
# the server saw), then "done"; exit 0 when every answer came and carries its own message. --hold S:
# keep the sockets S seconds longer, printing "late IP PORT DATA" for every UDP datagram that arrives
# meanwhile. --send-only: one UDP datagram, no answer awaited.
CLIENT = r'''
import argparse, socket, sys, time
p = argparse.ArgumentParser()
p.add_argument("proto"); p.add_argument("host"); p.add_argument("port", type=int)
p.add_argument("--count", type=int, default=1); p.add_argument("--sport", type=int, default=0)
p.add_argument("--tag", default="m"); p.add_argument("--timeout", type=float, default=1.0)
p.add_argument("--hold", type=float, default=0); p.add_argument("--send-only", action="store_true")
a = p.parse_args()
def say(*w): print(*w, flush=True)
tcp = a.proto == "tcp"
socks, ok = [], True
try:
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(a.timeout)
        if a.sport:
            s.bind(("0.0.0.0", a.sport))
        if tcp:
            s.connect((a.host, a.port))
        socks.append(s)
    for i, s in enumerate(socks):
        msg = "%s%d" % (a.tag, i)
        if tcp:
            s.sendall(msg.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk: raise ConnectionError("closed by peer")
                buf += chunk
            reply = buf.decode().strip()
        else:
            s.sendto(msg.encode(), (a.host, a.port))
            if a.send_only:
                say("sent"); sys.exit(0)
            reply = s.recv(65536).decode()
        ip, port, got = reply.split(" ", 2)
        say("reply", ip, port, got)
        ok = ok and got == msg
except OSError as e:
    say("fail", type(e).__name__, e)
    sys.exit(1)
say("done")
deadline = time.monotonic() + a.hold
while time.monotonic() < deadline:
    if tcp:
        time.sleep(0.05); continue
    socks[0].settimeout(max(0.01, deadline - time.monotonic()))
    try:
        data, peer = socks[0].recvfrom(65536)
        say("late", peer[0], peer[1], data.decode(errors="replace"))
    except socket.timeout:
        pass
sys.exit(0 if ok else 1)
'''
