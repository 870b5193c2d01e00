#!/usr/bin/env python3
"""Where the threads of running `openvpc serve` processes spend their time: every thread's state
and kernel wait channel, sampled from /proc every --interval seconds for --seconds.

    sudo python3 bench/thread_states.py --seconds 200 [--interval 0.01] [--json out.json] [--top 6]

Run it beside a benchmark (e.g. bench/write_stall_bench.py) to tell a thread that waits for work
from one that is blocked: the engine's thread waits for packets in io_cqring_wait (io_uring) and
for a lock in futex_do_wait. Prints, for the threads that used the most CPU, their samples by
state:wait-channel ("R:running" when on a CPU). Figures, not a test.
"""
import argparse
import collections
import json
import os
import time


def serve_processes():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if len(cmd) > 1 and cmd[1] == b"serve":
            yield pid, cmd[0].decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--json")
    ap.add_argument("--top", type=int, default=6)
    a = ap.parse_args()
    counts = collections.defaultdict(collections.Counter)
    ticks = {}
    stop_at = time.time() + a.seconds
    while time.time() < stop_at:
        for pid, exe in serve_processes():
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                    wchan = open(f"/proc/{pid}/task/{tid}/wchan").read().strip() or "-"
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2:].split()
                key = f"{exe} {pid}/{tid}"
                counts[key][fields[0] + ":" + ("running" if fields[0] == "R" else wchan)] += 1
                ticks[key] = int(fields[11]) + int(fields[12])  # utime + stime
        time.sleep(a.interval)
    out = {k: {"cpu_ticks": ticks.get(k, 0), "samples": dict(v.most_common())} for k, v in counts.items()}
    for k, v in sorted(out.items(), key=lambda kv: -kv[1]["cpu_ticks"])[:a.top]:
        top = ", ".join(f"{s} {n}" for s, n in list(v["samples"].items())[:5])
        print(f"{k}: {v['cpu_ticks']} ticks; {top}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
