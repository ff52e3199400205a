// Objects kept on the JavaScript heap: N every 50 ms (20,000 unless given as the first argument).
const n = Number(process.argv[2] || 20000);
const keep = [];
setInterval(() => { for (let i = 0; i < n; i++) keep.push({i, s: 'x'.repeat(50)}); }, 50);
