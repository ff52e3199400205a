# Spools what it receives to files in /dev/shm (a memory-backed file system, as an emptyDir with
# medium Memory is): 4 MiB every 0.2 s, never deleted. The process itself stays small.
import os
import sys
import time

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    os.remove(os.path.join(d, f))  # the previous start's spool
chunk = b"x" * (4 << 20)
n = 0
while True:
    with open(os.path.join(d, "spool-%d" % n), "wb") as f:
        f.write(chunk)
    n += 1
    time.sleep(0.2)
