# A prefork server: eight workers forked 2 s apart, each holding 28 MiB flat.
import os, time
def worker():
    data = bytearray(28 * 1024 * 1024)
    for i in range(0, len(data), 4096):
        data[i] = 1
    while True:
        time.sleep(1)
for n in range(8):
    if os.fork() == 0:
        worker()
    time.sleep(2)
while True:
    time.sleep(1)
