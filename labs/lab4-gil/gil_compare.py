#!/usr/bin/env python3
"""gil_compare.py: lab 4's three experiments, run on the real CPython, to compare with yours.

    python3 labs/lab4-gil/gil_compare.py

1. Cooking: the same CPU-bound work on 1 thread, on 2 threads, on 2 processes.
2. Waiting: 8 blocking waits of 50 ms, one after another, then on 8 threads.
3. The convoy: 1 ms blocking waits alone, then beside one cooking thread.
Standard library only. Each figure is the median of 5 rounds.
"""
import multiprocessing
import statistics
import sys
import threading
import time

ROUNDS = 5


def cook(n):
    """CPU-bound bytecode: a loop of integer arithmetic, like the lab's MIX loop."""
    x = 0
    while n:
        x = (x * 31 + n) & 0xFFFFFFFF
        n -= 1
    return x


def calibrate(seconds):
    """Loop count that cooks for about `seconds` here."""
    n = 200_000
    while True:
        t0 = time.perf_counter()
        cook(n)
        took = time.perf_counter() - t0
        if took > 0.05:
            return int(n * seconds / took)
        n *= 2


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def in_threads(fn, args_list):
    threads = [threading.Thread(target=fn, args=a) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def in_processes(fn, args_list):
    procs = [multiprocessing.Process(target=fn, args=a) for a in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


def cooking():
    n = calibrate(0.25)  # each of 2 dishes: ~0.25 s, so ~0.5 s one after another
    seq, thr, proc = [], [], []
    for _ in range(ROUNDS):
        seq.append(timed(lambda: (cook(n), cook(n))))
        thr.append(timed(lambda: in_threads(cook, [(n,), (n,)])))
        proc.append(timed(lambda: in_processes(cook, [(n,), (n,)])))
    s = statistics.median(seq)
    print(f"1. cooking, 2 dishes of {n} loops: one thread {s:.3f} s; "
          f"2 threads {s / statistics.median(thr):.2f}x; "
          f"2 processes {s / statistics.median(proc):.2f}x")


def waiting():
    seq, thr = [], []
    for _ in range(ROUNDS):
        seq.append(timed(lambda: [time.sleep(0.05) for _ in range(8)]))
        thr.append(timed(lambda: in_threads(time.sleep, [(0.05,)] * 8)))
    s = statistics.median(seq)
    print(f"2. waiting, 8 x 50 ms: one thread {s:.3f} s; "
          f"8 threads {s / statistics.median(thr):.2f}x")


def sleeper(count, waits):
    """count blocking waits of 1 ms; records how long each took beyond its 1 ms."""
    for _ in range(count):
        t0 = time.perf_counter()
        time.sleep(0.001)
        waits.append(time.perf_counter() - t0 - 0.001)


def cook_until(done, started, slice_n):
    """Cook in slices until the sleeper is done (a dish that never ends)."""
    started.set()
    while not done.is_set():
        cook(slice_n)


def convoy():
    count, alone, beside, waits = 50, [], [], []
    slice_n = calibrate(0.02)
    for _ in range(ROUNDS):
        alone.append(timed(lambda: sleeper(count, [])))
        done, started, w = threading.Event(), threading.Event(), []
        cook_thread = threading.Thread(target=cook_until, args=(done, started, slice_n))
        cook_thread.start()
        started.wait()
        beside.append(timed(lambda: sleeper(count, w)))
        done.set()
        cook_thread.join()
        waits += w
    a, b = statistics.median(alone), statistics.median(beside)
    print(f"3. the convoy, {count} x 1 ms waits: alone {a:.3f} s; beside a cooking thread "
          f"{b:.3f} s ({b / a:.1f}x slower); median extra wait per op "
          f"{1000 * statistics.median(waits):.1f} ms "
          f"= {statistics.median(waits) / sys.getswitchinterval():.2f} switch intervals")


if __name__ == "__main__":
    print(f"CPython {sys.version.split()[0]}, {multiprocessing.cpu_count()} CPUs, "
          f"switch interval {1000 * sys.getswitchinterval():.1f} ms")
    cooking()
    waiting()
    convoy()
