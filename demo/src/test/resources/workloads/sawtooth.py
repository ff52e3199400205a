# A leak under a collector: 3 MiB every 0.15 s, a third freed every sixth step (a sawtooth).
import time
keep = []
n = 0
while True:
    b = bytearray(3 * 1024 * 1024)
    for i in range(0, len(b), 4096):
        b[i] = 1
    keep.append(b)
    n += 1
    if n % 6 == 0:
        del keep[-3:]   # a collection frees some, not all
    time.sleep(0.15)
