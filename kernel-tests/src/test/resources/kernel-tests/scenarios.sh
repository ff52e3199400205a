#!/bin/sh
# The kernel tier's one scenario body, run as it is on the build machine's kernel (cgroup v1) and in
# a qemu guest with Debian's kernel (cgroup v2): it lays out kubelet's cgroups, starts the real
# agent (`oomdoctor-agent run --exporter stdout`), makes real OOM kills, and prints between markers
# what it set up (TRUTH), what the kernel counted (COUNTERS) and what the agent printed (AGENT).
#
#   scenarios.sh V CGROUP_ROOT MEMHOG LAUNCHER BUSYBOX OUT_DIR PORT SCENARIO...
#
# V is 1 or 2; CGROUP_ROOT is where the kubepods trees go (a sandbox below the v1 memory hierarchy,
# or the v2 root); the agent is started with it as --cgroup-root.
set -u
V=$1 CG=$2 HOG=$3 LAUNCHER=$4 BB=$5 OUT=$6 PORT=$7
shift 7
mkdir -p "$OUT"

say() { echo "$*"; }

# Every cgroup from $CG down to $1, with the memory controller on for the children (v2).
mkcg() {
  mkdir -p "$1" || return 1
  [ "$V" = 2 ] || return 0
  d=$CG
  rest=${1#"$CG"/}
  while [ -n "$rest" ]; do
    echo +memory > "$d/cgroup.subtree_control" 2> /dev/null
    part=${rest%%/*}
    d=$d/$part
    [ "$part" = "$rest" ] && rest= || rest=${rest#*/}
  done
}

limit() {
  if [ "$V" = 2 ]; then
    echo "$2" > "$1/memory.max"
    [ -f "$1/memory.swap.max" ] && echo 0 > "$1/memory.swap.max"
  else
    echo "$2" > "$1/memory.limit_in_bytes"
    [ -f "$1/memory.memsw.limit_in_bytes" ] && echo "$2" > "$1/memory.memsw.limit_in_bytes"
  fi
  return 0
}

# The kernel's own counts of a cgroup, as one line of key=value.
counters() {
  if [ "$V" = 2 ]; then
    oom=$(sed -n 's/^oom //p' "$1/memory.events")
    kills=$(sed -n 's/^oom_kill //p' "$1/memory.events")
    group=$(sed -n 's/^oom_group_kill //p' "$1/memory.events")
    peak=$(cat "$1/memory.peak" 2> /dev/null)
  else
    oom=
    kills=$(sed -n 's/^oom_kill //p' "$1/memory.oom_control")
    group=
    peak=$(cat "$1/memory.max_usage_in_bytes")
  fi
  echo "oom=${oom:-} oom_kill=${kills:-} oom_group_kill=${group:-} peak=${peak:-}"
}

# Starts a command inside cgroup $1, as a child of this shell (so that `wait` works); its PID is
# left in LAST.
start_in() {
  dir=$1
  shift
  "$BB" sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@" > /dev/null 2>&1 &
  LAST=$!
}

# Waits until the agent has printed a kill of the process named $1 (at most 120 s).
await_agent() {
  n=0
  while ! grep -q "\"process\":\"$1\"" "$OUT/agent.jsonl" 2> /dev/null; do
    n=$((n + 1))
    [ $n -gt 1200 ] && say "TIMEOUT waiting for the agent to report $1" && return 1
    sleep 0.1
  done
}

uid() { echo "0a1b2c3d-0000-4000-8000-00000000000$1"; }
cid() { printf 'c%063d' "$1"; }
slice_uid() { uid "$1" | tr - _; }

# --- the agent -----------------------------------------------------------------------------------
# From the kernel log's end: kills of an earlier run on this kernel (the same names) are not this
# run's. A marker record gives the last sequence number; the cursor is "boot-id seq".
MARK="oomdoctor-kernel-tests: start $$ $(cat /proc/sys/kernel/random/uuid 2> /dev/null)"
echo "$MARK" > /dev/kmsg
SEQ=$("$BB" timeout 2 "$BB" cat /dev/kmsg 2> /dev/null | "$BB" grep -F "$MARK" | "$BB" head -n 1 \
  | "$BB" cut -d, -f2)
mkdir -p "$OUT/state"
if [ -n "$SEQ" ]; then
  echo "$(cat /proc/sys/kernel/random/boot_id) $SEQ" > "$OUT/state/kmsg-cursor"
fi
"$LAUNCHER" run --exporter stdout --node-name kernel-tests --cgroup-root "$CG" --interval 1s \
  --state-dir "$OUT/state" --metrics-port "$PORT" > "$OUT/agent.jsonl" 2> "$OUT/agent.err" &
AGENT=$!
# A host OOM must not take the agent: as the chart's priority gives it in a cluster.
echo -1000 > "/proc/$AGENT/oom_score_adj"
n=0
until "$BB" wget -q -O /dev/null "http://127.0.0.1:$PORT/readyz" 2> /dev/null; do
  n=$((n + 1))
  if [ $n -gt 1800 ] || ! kill -0 "$AGENT" 2> /dev/null; then
    say "AGENT-NOT-READY"
    cat "$OUT/agent.err"
    exit 1
  fi
  sleep 0.1
done
say "AGENT-READY"

# --- the scenarios -------------------------------------------------------------------------------
# Each: the cgroups kubelet would make, the limit where kubelet puts it, a workload that grows
# (4 MiB every 300 ms, so that the sampler sees it grow), the truth, the kill, the counters.
grow() { echo --step-mb 4 --interval-ms 300; }

# The counters printed are the victim's cgroup's (the container's), as the agent reads them.
scenario() {
  name=$1 container=$2 counted=$3
  shift 3
  say "TRUTH $name $*"
  start_in "$container" "$HOG" $(grow) --name "$name"
  pid=$LAST
  say "PID $name $pid"
  wait "$pid" 2> /dev/null
  await_agent "$name"
  say "COUNTERS $name $(counters "$counted")"
}

for s in "$@"; do
  case $s in
    systemd-burstable-container)
      pod=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(slice_uid 1).slice
      c=$pod/cri-containerd-$(cid 1).scope
      mkcg "$c" && limit "$c" 48M
      scenario kt-sd-burst "$c" "$c" pod=$(uid 1) container=$(cid 1) qos=burstable scope=container \
        driver=systemd
      ;;
    cgroupfs-guaranteed-container)
      pod=$CG/kubepods/pod$(uid 2)
      c=$pod/$(cid 2)
      mkcg "$c" && limit "$pod" 64M && limit "$c" 48M
      scenario kt-fs-guar "$c" "$c" pod=$(uid 2) container=$(cid 2) qos=guaranteed scope=container \
        driver=cgroupfs
      ;;
    systemd-besteffort-node-allocatable)
      # No limit on the pod or container: the node's allocatable (kubepods) is what is hit.
      node=$CG/kubepods.slice
      c=$node/kubepods-besteffort.slice/kubepods-besteffort-pod$(slice_uid 3).slice/cri-containerd-$(cid 3).scope
      mkcg "$c" && limit "$node" 48M
      scenario kt-sd-best "$c" "$c" pod=$(uid 3) container=$(cid 3) qos=besteffort scope=node \
        driver=systemd
      if [ "$V" = 2 ]; then limit "$node" max; else limit "$node" -1; fi
      ;;
    cgroupfs-burstable-pod-limit)
      pod=$CG/kubepods/burstable/pod$(uid 4)
      c=$pod/$(cid 4)
      mkcg "$c" && limit "$pod" 48M
      scenario kt-fs-pod "$c" "$c" pod=$(uid 4) container=$(cid 4) qos=burstable scope=pod \
        driver=cgroupfs
      ;;
    cgroupfs-burstable-child-process)
      pod=$CG/kubepods/burstable/pod$(uid 5)
      c=$pod/$(cid 5)
      mkcg "$c" && limit "$c" 48M
      say "TRUTH kt-child pod=$(uid 5) container=$(cid 5) qos=burstable scope=container driver=cgroupfs child=true"
      start_in "$c" "$HOG" $(grow) --name kt-child --child
      parent=$LAST
      say "PARENT kt-child $parent"
      await_agent kt-child
      say "COUNTERS kt-child $(counters "$c")"
      kill "$parent" 2> /dev/null
      wait "$parent" 2> /dev/null
      ;;
    systemd-burstable-oom-group)
      pod=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$(slice_uid 6).slice
      c=$pod/cri-containerd-$(cid 6).scope
      mkcg "$c" && limit "$c" 48M
      echo 1 > "$c/memory.oom.group"
      say "TRUTH kt-group pod=$(uid 6) container=$(cid 6) qos=burstable scope=container driver=systemd group=true"
      start_in "$c" "$HOG" --step-mb 1 --max-mb 1 --name kt-group-a
      s1=$LAST
      start_in "$c" "$HOG" --step-mb 1 --max-mb 1 --name kt-group-b
      s2=$LAST
      say "MEMBERS kt-group $s1 $s2"
      start_in "$c" "$HOG" $(grow) --name kt-group
      pid=$LAST
      say "PID kt-group $pid"
      wait "$pid" "$s1" "$s2" 2> /dev/null
      await_agent kt-group
      say "COUNTERS kt-group $(counters "$c")"
      ;;
    host-oom)
      # No limit anywhere: the machine's memory runs out.
      c=$CG/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$(slice_uid 7).slice/cri-containerd-$(cid 7).scope
      mkcg "$c"
      say "TRUTH kt-host pod=$(uid 7) container=$(cid 7) qos=besteffort scope=node driver=systemd kind=global"
      start_in "$c" "$HOG" --step-mb 16 --interval-ms 100 --name kt-host
      pid=$LAST
      say "PID kt-host $pid"
      wait "$pid" 2> /dev/null
      await_agent kt-host
      say "COUNTERS kt-host $(counters "$c")"
      ;;
    *)
      say "UNKNOWN-SCENARIO $s"
      ;;
  esac
done

# The kernel's log as it holds it (dmesg -r), for fixtures and for reading a failure.
say "KERNEL-LOG-BEGIN"
"$BB" dmesg -r 2> /dev/null
say "KERNEL-LOG-END"

# Everything the agent printed, then its end.
sleep 0.5
say "AGENT-OUTPUT-BEGIN"
cat "$OUT/agent.jsonl"
say "AGENT-OUTPUT-END"
kill "$AGENT" 2> /dev/null
wait "$AGENT" 2> /dev/null
grep -E " (WARN|ERROR) " "$OUT/agent.err" | sed 's/^/AGENT-LOG /'
say "SCENARIOS-DONE"
