package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ), 100 on every Linux platform.
const clockTicks = 100

// process is a server the benchmark started.
type process struct {
	name string
	cmd  *exec.Cmd
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL string
	// log is the file the process's output goes to.
	log  string
	done chan error
}

// pid returns the process ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start starts a server process that listens on addr, with its output in logDir, and waits until GET healthPath
// answers 200.
func start(ctx context.Context, name, logDir, addr, healthPath string, env []string, bin string, args ...string) (*process, error) {
	logFile, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, URL: "http://" + addr, log: logFile.Name(), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logFile.Close() }()
	if _, err := p.waitHealthy(ctx, healthPath, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitHealthy polls GET path every half millisecond until it answers 200, and returns when it did.
func (p *process) waitHealthy(ctx context.Context, path string, limit time.Duration) (time.Time, error) {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(limit)
	for {
		resp, err := hc.Get(p.URL + path)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			return time.Time{}, fmt.Errorf("%s exited (%v) before it answered; its output:\n%s", p.name, err, tail(p.log))
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(500 * time.Microsecond):
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s did not answer GET %s within %v; its output:\n%s", p.name, path, limit, tail(p.log))
		}
	}
}

// stop ends the process with SIGTERM, as an operator would, and waits for it; after 30 s it is killed.
func (p *process) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the end of a log file.
func tail(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpuTime returns the CPU time, user and system, that the process has used (all its threads).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may contain spaces; the fields after it are space-separated.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// memStatus returns the resident set size and its peak (VmRSS, VmHWM) of a process, in bytes.
func memStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, err
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	return rss, hwm, sc.Err()
}

// resetPeak sets the process's VmHWM back to its current RSS (clear_refs 5), so that the next peak can be read.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// loadAverage returns the machine's 1-minute load average, as /proc/loadavg gives it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// buildGatehouse builds cmd/gatehouse into dir and returns the binary's path. It must run inside the module.
func buildGatehouse(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "gatehouse")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/gatehouse-idp/gatehouse/cmd/gatehouse").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/gatehouse (run gatehouse-bench inside the repository, or give --gatehouse): %v\n%s", err, out)
	}
	return bin, nil
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
