package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The CPU a measurement costs, read from /proc (Linux): on a machine that
// runs the database, the server and the load generator together, throughput
// is CPU time per transition, and that is steadier than a rate.

// clockTick is USER_HZ, the unit of /proc's CPU times; 100 on Linux.
const clockTick = 10 * time.Millisecond

// cpuSpent is CPU time of the whole machine, of the server process and of
// the client (this process: the load generator; or pgbench): since boot in
// a snapshot, over a run as the difference of two.
type cpuSpent struct {
	machine, server, client time.Duration
}

// snapshotCPU reads the busy time of the whole machine, of the server
// process (pid 0 for none) and of this process.
func snapshotCPU(serverPID int) cpuSpent {
	var s cpuSpent
	if stat, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(stat), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal ...: busy is
		// user to softirq but idle and iowait; steal is time the hypervisor
		// gave other machines.
		for i, v := range f[1:min(len(f), 8)] {
			if i == 3 || i == 4 {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			s.machine += time.Duration(n) * clockTick
		}
	}
	if serverPID > 0 {
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(serverPID) + "/stat"); err == nil {
			// The command name in parentheses may hold spaces: count fields
			// after it. utime and stime are fields 14 and 15 of the line.
			rest := string(stat)[strings.LastIndexByte(string(stat), ')')+2:]
			f := strings.Fields(rest)
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				k, _ := strconv.ParseInt(f[12], 10, 64)
				s.server = time.Duration(u+k) * clockTick
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s
}

func cpuBetween(before, after cpuSpent) cpuSpent {
	return cpuSpent{
		machine: after.machine - before.machine,
		server:  after.server - before.server,
		client:  after.client - before.client,
	}
}
