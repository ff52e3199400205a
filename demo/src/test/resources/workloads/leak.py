# A leak: 2 MiB more every 0.2 s, all of it kept.
import time
keep = []
while True:
    b = bytearray(2 * 1024 * 1024)
    for i in range(0, len(b), 4096):
        b[i] = 1
    keep.append(b)
    time.sleep(0.2)
