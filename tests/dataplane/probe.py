#!/usr/bin/python3
"""Traffic probes that the data-plane tests run INSIDE an instance (`openvpc exec ID -- python3 probe.py ...`).

Standard library only: it runs under the system /usr/bin/python3, which sees the host's filesystem
from inside the instance's network namespace. Every command prints one line per event, flushed,
so that the test reading its stdout sees events as they happen.

  serve tcp|udp PORT           echo server on 0.0.0.0:PORT; prints "ready", then "conn IP PORT" per
                               TCP connection or "recv IP PORT DATA" per UDP datagram (and echoes it)
  tcp HOST PORT [opts]         connect, send MSG + newline, expect the echo; exit 0 on echo, 1 otherwise
  udp HOST PORT [opts]         send MSG; with --reply wait for the echo (exit 0 on echo, 1 on timeout)
  session HOST PORT [opts]     one long-lived TCP connection: prints "connected" (or "connect-failed"
                               and exit 2), then for every line read on stdin sends it and prints
                               "ok LINE" when the echo arrives within --timeout, else "timeout LINE";
                               with --udp one connected UDP socket (one 5-tuple) instead
opts: --timeout SECONDS (default 1.5), --msg TEXT (default "hello"), --bind IP (source address)
"""
import argparse
import socket
import sys
import threading


def say(*words):
    print(*words, flush=True)


def serve(proto, port):
    if proto == "tcp":
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", port))
        srv.listen(64)
        say("ready")

        def echo(conn, peer):
            say("conn", peer[0], peer[1])
            with conn:
                try:
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            return
                        conn.sendall(data)
                except OSError:
                    return

        while True:
            conn, peer = srv.accept()
            threading.Thread(target=echo, args=(conn, peer), daemon=True).start()
    else:
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", port))
        say("ready")
        while True:
            data, peer = srv.recvfrom(65536)
            say("recv", peer[0], peer[1], data.decode(errors="replace").strip())
            try:
                srv.sendto(b"echo:" + data, peer)
            except OSError:
                pass


def tcp_socket(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
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
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["serve", "tcp", "udp", "session"])
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
    args.host, args.port = args.a, args.b
    return {"tcp": tcp, "udp": udp, "session": session}[args.cmd](args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
