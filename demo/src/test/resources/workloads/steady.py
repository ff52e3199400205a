# A server at a steady load: 60 MiB of state, and each request needs 1 to 30 MiB more for a moment.
# Nothing grows; the limit is simply too low for the larger requests.
import random
import time

state = bytearray(60 << 20)
for i in range(0, len(state), 4096):
    state[i] = 1
time.sleep(5)  # warmed up
while True:
    b = bytearray(random.randint(1, 30) << 20)
    for i in range(0, len(b), 4096):
        b[i] = 1
    del b
    time.sleep(0.5)
