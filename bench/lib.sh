# Shell functions shared by the load benches (bench/run-calls, bench/run-register); sourced,
# not run. The caller sets PY, and uses SRVPID/UASPID for the server and peer it started.
# Loopback only; free ports are picked by binding port 0.

free_port() {
  $PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_bound() { ss -Hlun "sport = :$1" | grep -q .; }

SRVPID="" UASPID=""
stop_pid() {  # stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_all() {
  stop_pid "$UASPID"; UASPID=""
  local kids=""
  [[ -n "$SRVPID" ]] && kids=$(ps -o pid= --ppid "$SRVPID" 2>/dev/null || true)
  stop_pid "$SRVPID"; SRVPID=""
  local k; for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
}

# cpu_ns_by_proc ROOT: "PID NAME NS" for the server and each direct child (both servers fork
# their workers; Sipline names them after their role: udp-worker#1, timer, siptrace-writer,
# ...). NS is the time the scheduler ran the process (/proc/PID/schedstat, exact), or
# utime+stime where that file is missing (whole clock ticks: 10 ms each).
cpu_ns_by_proc() {
  local p name ns
  for p in $1 $(ps -o pid= --ppid "$1" 2>/dev/null); do
    name=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    if [[ -r /proc/$p/schedstat ]]; then
      ns=$(awk '{print $1}' "/proc/$p/schedstat" 2>/dev/null) || continue
    else
      ns=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.0f", ($12 + $13) * 1e9 / hz }' \
        "/proc/$p/stat" 2>/dev/null) || continue
    fi
    echo "$p ${name// /_} $ns"
  done
}
# CPU microseconds of a pid and its direct children, summed over cpu_ns_by_proc.
# (%.0f: mawk's %d stops at 2^31-1, 36 minutes of CPU in µs.)
cpu_us_tree() {
  cpu_ns_by_proc "$1" | awk '{ t += $3 } END { printf "%.0f\n", t / 1000 }'
}
# proc_us_per_call BEFORE AFTER CALLS: "name=µs ..." per process name (processes of the same
# name summed) between two cpu_ns_by_proc snapshots. A process started in between counts
# from 0 (all its CPU is in the step); one that ended in between is missing from the split.
proc_us_per_call() {
  awk -v n="$3" 'NR == FNR { t0[$1 " " $2] = $3; next }
    { d[$2] += $3 - t0[$1 " " $2] } END { if (n > 0) for (k in d) printf "%s=%.1f ", k, d[k] / 1000 / n }' \
    "$1" "$2" | tr ' ' '\n' | sort | paste -sd' '
}

idle_ticks() { awk '/^cpu /{print $5 + $6}' /proc/stat; }  # idle + iowait, all cores

col() {  # col FILE NAME: value of column NAME in the last row of a sipp -trace_stat csv
  awk -F';' -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} END{if(c) print $c; else print 0}' "$1"
}

# mi_stats SOCKET NAME...: prints "NAME VALUE" lines read through Sipline's JSON-RPC socket
mi_stats() {
  local sock=$1; shift
  $PY - "$sock" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
s.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "get_statistics",
                      "params": {"statistics": sys.argv[2:]}}).encode() + b"\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
for k, v in json.loads(data).get("result", {}).items():
    print(k, v)
PY
}

# PROFILE=1: perf samples the server (the pid and its direct children; PERF_FREQ samples a
# second, 999 by default) between profile_start and profile_stop; profile_stop prints the
# share of those samples spent in the kernel, to tell the server's own work from the system
# calls and wake-ups that cost every server alike.
PERFPID=""
profile_start() {  # profile_start ROOT_PID DATA_FILE
  [[ ${PROFILE:-0} == 1 ]] || return 0
  command -v perf >/dev/null || { echo "# PROFILE=1: perf is not installed" >&2; return 0; }
  local pids
  pids=$( (echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null) | tr -d ' ' | paste -sd,)
  perf record -q -F "${PERF_FREQ:-999}" -o "$2" -p "$pids" >/dev/null 2>&1 & PERFPID=$!
}
profile_stop() {  # profile_stop DATA_FILE: sets KSHARE to "kernel_share=NN%" ("" without PROFILE=1)
  KSHARE=""
  [[ -n "$PERFPID" ]] || return 0
  kill -INT "$PERFPID" 2>/dev/null || true
  wait "$PERFPID" 2>/dev/null || true
  PERFPID=""
  # The kernel and its modules are the bracketed objects other than the user-space ones.
  # No samples (perf could not attach, or kernel samples are not allowed) reads "n/a".
  KSHARE=$(perf report -i "$1" --stdio --no-children --sort dso -g none 2>/dev/null |
    awk '$1 ~ /%$/ { n++; if ($2 ~ /^\[/ && $2 != "[vdso]" && $2 != "[vsyscall]" &&
                           $2 != "[unknown]") k += $1 }
         END { if (n == 0 || k == 0) print "kernel_share=n/a"; else printf "kernel_share=%.0f%%", k }')
}

# median_at RATE: the median of the values of the "RATE VALUE" lines on stdin at that rate
# ("NA" when none): the repeated steps of a rate are summed up by their median, not the last.
median_at() {
  awk -v r="$1" '$1 == r && $2 != "NA" {print $2}' | sort -g |
    awk '{v[NR] = $1} END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2];
      else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
