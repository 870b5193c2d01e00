#!/usr/bin/python3
"""Traffic probes that bench/dataplane_bench.py runs INSIDE a namespace (an openvpc instance through
`openvpc exec ID -- /usr/bin/python3 dataplane_probe.py ...`, or a baseline namespace through
`ip netns exec NS ...`). Standard library only; every line of output is flushed at once.

  flows-server PORT NPORTS             accept TCP connections on PORT..PORT+NPORTS-1 and close
                                       them at once; prints "ready"
  flows-client HOST PORT NPORTS SECONDS CONCURRENCY [spread]
                                       opens as many TCP connections as it can for SECONDS, CONCURRENCY
                                       in flight, each from an explicitly bound source port so that
                                       every connection is a 5-tuple not seen before (source ports
                                       1024..65535 x NPORTS destination ports); a connection counts
                                       when the handshake completes; closed with SO_LINGER 0 (RST, no
                                       TIME_WAIT). Prints one JSON line. The source port walks
                                       1024..65535 for each destination port in turn; with `spread`,
                                       the destination port changes with every connection instead
                                       (so that no single destination gets more than 1/NPORTS of
                                       them: a NAT gateway holds 55,000 per destination at most).
  whoami-server PORT                   accepts TCP connections on PORT; prints "ready", then
                                       "peer IP PORT" per connection (the source as seen here)
  connect HOST PORT TIMEOUT            one TCP connection; exit status 0 when it is made
  conv-listen BASE N                   UDP sockets on BASE..BASE+N-1; prints "ready", then
                                       "first PORT TIME" for the first datagram on each port (TIME: the
                                       kernel's receive timestamp, CLOCK_REALTIME, SO_TIMESTAMPNS);
                                       stdin "last PORT" answers "last PORT TIME COUNT" (TIME of the
                                       latest datagram, 0 if none); stdin "quit" ends it
  conv-send HOST                       stdin "go PORT": send a small datagram to HOST:PORT about every
                                       100 us (answers "going PORT"); "stop": stop sending (answers
                                       "stopped"); "quit" ends it
"""
import errno
import json
import os
import select
import selectors
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def say(*words):
    print(*words, flush=True)


def flows_server(port, nports):
    sel = selectors.DefaultSelector()
    for p in range(port, port + nports):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", p))
        s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    say("ready")
    while True:
        for key, _ in sel.select():
            srv = key.fileobj
            while True:
                try:
                    conn, _ = srv.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                conn.close()


def flows_client(host, port, nports, seconds, concurrency, spread=False):
    sel = selectors.DefaultSelector()
    linger = struct.pack("ii", 1, 0)
    ports = 65536 - 1024
    k = 0
    ok = failed = timeouts = bind_errors = 0
    errors = {}
    inflight = {}  # socket -> start time

    def start():
        nonlocal k, failed, bind_errors
        for _ in range(1000):  # a source port in use elsewhere is skipped
            if spread:
                sport = 1024 + (k // nports) % ports
                dport = port + k % nports
            else:
                sport = 1024 + k % ports
                dport = port + (k // ports) % nports
            k += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.setblocking(False)
            try:
                s.bind(("0.0.0.0", sport))
            except OSError:
                bind_errors += 1
                s.close()
                continue
            err = s.connect_ex((host, dport))
            if err in (errno.EADDRNOTAVAIL, errno.EADDRINUSE):  # that 5-tuple is still in use
                bind_errors += 1
                s.close()
                continue
            if err not in (0, errno.EINPROGRESS):
                failed += 1
                name = errno.errorcode.get(err, str(err))
                errors[name] = errors.get(name, 0) + 1
                s.close()
                return  # an immediate failure (no route...): this slot stays empty
            sel.register(s, selectors.EVENT_WRITE)
            inflight[s] = time.monotonic()
            return

    t_start = time.monotonic()
    deadline = t_start + seconds
    for _ in range(concurrency):
        start()
    last_sweep = t_start
    while inflight:
        now = time.monotonic()
        if now >= deadline + 1.0:
            break
        for key, _ in sel.select(0.05):
            s = key.fileobj
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            sel.unregister(s)
            del inflight[s]
            s.close()
            if err == 0:
                if time.monotonic() <= deadline:
                    ok += 1
            else:
                failed += 1
                name = errno.errorcode.get(err, str(err))
                errors[name] = errors.get(name, 0) + 1
            if time.monotonic() < deadline:
                start()
        now = time.monotonic()
        if now - last_sweep > 0.1:  # connections that got no answer within a second
            last_sweep = now
            for s, t in list(inflight.items()):
                if now - t > 1.0:
                    sel.unregister(s)
                    del inflight[s]
                    s.close()
                    timeouts += 1
                    if now < deadline:
                        start()
    for s in list(inflight):
        s.close()
    say(json.dumps({"ok": ok, "seconds": seconds, "failed": failed, "timeouts": timeouts,
                    "bind_errors": bind_errors, "errors": errors, "attempted": k}))


def whoami_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    say("ready")
    while True:
        conn, peer = s.accept()
        say("peer", peer[0], peer[1])
        conn.close()


def connect(host, port, timeout):
    try:
        socket.create_connection((host, port), timeout).close()
    except OSError as e:
        print(f"connect {host}:{port}: {e}", file=sys.stderr)
        sys.exit(1)


def read_commands(buf):
    """Reads what stdin has; returns (complete lines, the rest, eof)."""
    data = os.read(0, 65536)
    if not data:
        return [], buf, True
    buf += data
    *lines, rest = buf.split(b"\n")
    return [l.decode().strip() for l in lines if l.strip()], rest, False


def conv_listen(base, n):
    sel = selectors.DefaultSelector()
    socks = {}
    for p in range(base, base + n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass
        s.bind(("0.0.0.0", p))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, p)
        socks[p] = s
    sel.register(0, selectors.EVENT_READ, None)
    first, last, count = {}, {}, {}
    say("ready")
    buf = b""
    while True:
        for key, _ in sel.select():
            if key.data is None:
                lines, buf, eof = read_commands(buf)
                if eof:
                    return
                for line in lines:
                    words = line.split()
                    if words[0] == "quit":
                        return
                    if words[0] == "last":
                        p = int(words[1])
                        say("last", p, repr(last.get(p, 0.0)), count.get(p, 0))
                continue
            p = key.data
            s = key.fileobj
            while True:
                try:
                    _, anc, _, _ = s.recvmsg(2048, 256)
                except (BlockingIOError, InterruptedError):
                    break
                t = None
                for level, typ, data in anc:
                    if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(data) >= 16:
                        sec, nsec = struct.unpack("qq", data[:16])
                        t = sec + nsec / 1e9
                if t is None:
                    t = time.time()
                if p not in first:
                    first[p] = t
                    say("first", p, repr(t))
                last[p] = t
                count[p] = count.get(p, 0) + 1


def conv_send(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    port = None
    buf = b""
    payload = b"x" * 32
    while True:
        if port is not None:
            try:
                s.sendto(payload, (host, port))
            except OSError:
                pass
        r, _, _ = select.select([0], [], [], 0.0001 if port is not None else 1.0)
        if not r:
            continue
        lines, buf, eof = read_commands(buf)
        if eof:
            return
        for line in lines:
            words = line.split()
            if words[0] == "quit":
                return
            if words[0] == "go":
                port = int(words[1])
                try:
                    s.sendto(payload, (host, port))
                except OSError:
                    pass
                say("going", port)
            elif words[0] == "stop":
                port = None
                say("stopped")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "flows-server":
        flows_server(int(args[0]), int(args[1]))
    elif cmd == "flows-client":
        flows_client(args[0], int(args[1]), int(args[2]), float(args[3]), int(args[4]),
                     spread=args[5:6] == ["spread"])
    elif cmd == "whoami-server":
        whoami_server(int(args[0]))
    elif cmd == "connect":
        connect(args[0], int(args[1]), float(args[2]))
    elif cmd == "conv-listen":
        conv_listen(int(args[0]), int(args[1]))
    elif cmd == "conv-send":
        conv_send(args[0])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
