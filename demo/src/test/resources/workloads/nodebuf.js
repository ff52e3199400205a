// Buffers outside the JavaScript heap, 4 MiB every 100 ms.
const keep = [];
setInterval(() => { keep.push(Buffer.alloc(4 << 20, 1)); }, 100);
