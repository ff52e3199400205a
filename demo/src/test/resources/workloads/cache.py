# A cache without a bound: every answer computed is kept. Requests ask at random for one of 110
# answers of 1 MiB each; as the cache fills, ever more of them are hits, so it grows ever more
# slowly toward 110 MiB — more than the limit it runs under.
import random
import time

cache = {}
while True:
    k = random.randrange(110)
    if k not in cache:
        b = bytearray(1 << 20)
        for i in range(0, len(b), 4096):
            b[i] = 1
        cache[k] = b
    time.sleep(0.16)
