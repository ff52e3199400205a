// A Go leak: 2 MiB more every 200 ms, all of it kept (no GOMEMLIMIT: the collector paces itself
// by GOGC alone).
package main

import "time"

var keep [][]byte

func main() {
	for {
		b := make([]byte, 2<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		time.Sleep(200 * time.Millisecond)
	}
}
