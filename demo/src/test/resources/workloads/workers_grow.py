# A prefork server whose workers each grow: four workers, each keeping 1 MiB more every 0.2 s;
# a worker that dies is replaced, as gunicorn's master does.
import os, time
def worker():
    keep = []
    while True:
        b = bytearray(1024 * 1024)
        for i in range(0, len(b), 4096):
            b[i] = 1
        keep.append(b)
        time.sleep(0.2)
workers = set()
while True:
    while len(workers) < 4:
        pid = os.fork()
        if pid == 0:
            worker()
        workers.add(pid)
    pid, _ = os.wait()
    workers.discard(pid)
