package httpapi_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/appraisal/appraisal/db/dbtest"
)

// BenchmarkTransition fires transitions over real HTTP (loopback) on each
// engine, 16 clients per core, each on its own appraisals, alternating
// request_supplement and resubmit. Profile it with
//
//	go test ./httpapi -run '^$' -bench Transition/postgres -cpuprofile cpu.out
func BenchmarkTransition(b *testing.B) {
	for _, eng := range dbtest.Engines {
		b.Run(string(eng), func(b *testing.B) {
			e := newEnv(b, dbtest.Open(b, eng))
			e.check = nil // measure the product, not the OpenAPI checker
			const appraisals = 256
			ids := make([]int64, appraisals)
			for i := range ids {
				ids[i] = e.submit(b, hoa)
			}
			supplement := []byte(`{"trigger":"request_supplement","comment":"Bổ sung hồ sơ"}`)
			resubmit := []byte(`{"trigger":"resubmit"}`)
			var next atomic.Int64
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// Each goroutine takes appraisals of its own, a stride apart.
				first := next.Add(1) - 1
				var mine []int64
				for i := first; i < appraisals; i += 16 {
					mine = append(mine, ids[i])
				}
				returned := make([]bool, len(mine))
				for k := 0; pb.Next(); k++ {
					i := k % len(mine)
					body, user := supplement, reviewer
					if returned[i] {
						body, user = resubmit, hoa
					}
					req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/appraisals/%d/transitions", e.srv.URL, mine[i]), bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+e.tokens[user])
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					returned[i] = !returned[i]
				}
			})
		})
	}
}
