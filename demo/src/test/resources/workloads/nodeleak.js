// Objects kept on the JavaScript heap, 20,000 every 50 ms.
const keep = [];
setInterval(() => { for (let i = 0; i < 20000; i++) keep.push({i, s: 'x'.repeat(50)}); }, 50);
