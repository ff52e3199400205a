# A startup spike: 180 MiB at once, then idle.
import time
b = bytearray(180 * 1024 * 1024)
for i in range(0, len(b), 4096):
    b[i] = 1
time.sleep(1000)
