// A startup spike outside the JavaScript heap: one 200 MiB Buffer.
const b = Buffer.alloc(200 * 1024 * 1024, 1);
setInterval(() => { b[0]++; }, 1000);
