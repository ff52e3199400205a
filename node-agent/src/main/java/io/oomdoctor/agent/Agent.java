package io.oomdoctor.agent;

import io.oomdoctor.agent.cgroup.CgroupTree;
import io.oomdoctor.agent.cgroup.MemorySampler;
import io.oomdoctor.agent.export.Exporter;
import io.oomdoctor.agent.kmsg.Cursor;
import io.oomdoctor.agent.kmsg.KmsgReader;
import io.oomdoctor.agent.kmsg.KmsgRecord;
import io.oomdoctor.agent.metrics.AgentMetrics;
import io.oomdoctor.agent.parse.KernelLine;
import io.oomdoctor.agent.parse.OomReportParser;
import io.oomdoctor.agent.pod.PodResolver;
import io.oomdoctor.agent.proc.ProcessInspector;
import io.oomdoctor.model.OomKill;
import io.oomdoctor.model.Text;
import io.oomdoctor.model.evidence.Attribution;
import io.oomdoctor.model.evidence.OomReport;
import io.oomdoctor.model.evidence.Repeats;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: follows the kernel log, samples cgroups, and exports every OOM kill.
 *
 * <p>Threads: one reads /dev/kmsg and parses (all parser state lives there), one assembles each
 * kill's evidence (cgroups, trend, processes, pod) off the reader's path, one samples cgroups on a
 * fixed schedule and persists the cursor, and the exporter has its own. The cursor only ever
 * advances past a report once the exporter has delivered it, so a restart re-reads (and harmlessly
 * re-creates, 409) what was in flight and never skips a kill.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final AgentConfig config;
  private final Exporter exporter;
  private final AgentMetrics metrics;
  private final Clock clock;
  private final String bootId;
  private final boolean bootKnown;
  private final long bootEpochMillis;
  private final MemorySampler sampler;
  private final EvidenceAssembler assembler;
  private final io.oomdoctor.agent.risk.RiskWatch risks;
  private final OomReportParser parser;
  private final ConcurrentSkipListSet<Long> undelivered = new ConcurrentSkipListSet<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final ScheduledExecutorService scheduler;
  private volatile KmsgReader reader;
  private volatile Thread readerThread;

  /** Written by the reader thread after each record, read by the exporter's: never the parser. */
  private volatile long reportStartSeq = -1;

  private volatile long lastRecordSeq = -1;

  /** Kernel time (µs since boot) of the last record read, and when it was read. */
  private volatile long lastRecordUs = -1;

  private volatile long lastRecordNanos;
  private volatile long safeSeq = -1;
  private volatile long storedSeq = -1;
  private volatile boolean readerRunning;
  private volatile long handlingSinceNanos;
  private volatile long lastPassEndNanos = System.nanoTime();

  /** Kernel time (µs since boot) of the start: how long kills from then on take is measured. */
  private volatile long startedUs = Long.MAX_VALUE;

  /** Handling one record longer than this means the reader is stuck. */
  static final Duration STUCK = Duration.ofSeconds(60);

  /** No sampling pass for this long (and three intervals) means the sampler is stuck. */
  private volatile Duration passGrace = Duration.ofMinutes(1);

  public Agent(
      AgentConfig config, Exporter exporter, PodResolver pods, AgentMetrics metrics, Clock clock) {
    this.config = config;
    this.exporter = exporter;
    this.metrics = metrics;
    this.clock = clock;
    String boot = KmsgReader.bootId(config.procRoot());
    // Without the boot id no cursor can be trusted (it may be another boot's): read everything,
    // store nothing, and name kills after a boot id of this process's own, so that none collides.
    this.bootKnown = boot != null;
    this.bootId = boot != null ? boot : "unreadable-" + java.util.UUID.randomUUID();
    this.bootEpochMillis = KmsgReader.bootEpochMillis(config.procRoot(), clock.millis());
    CgroupTree tree = new CgroupTree(config.cgroupRoot(), config.hierarchyRoot());
    ProcessInspector inspector = new ProcessInspector(config.procRoot(), config.readEnvironment());
    this.sampler =
        new MemorySampler(
            tree,
            inspector,
            (int) Math.max(1, config.interval().toSeconds()),
            bootEpochMillis / 1000);
    this.assembler =
        new EvidenceAssembler(
            config.nodeName(), config.namespace(), tree, sampler, pods, config.procRoot());
    this.risks =
        new io.oomdoctor.agent.risk.RiskWatch(
            config.nodeName(),
            sampler,
            pods,
            metrics,
            io.oomdoctor.diagnosis.risk.RiskSettings.defaults());
    this.parser =
        new OomReportParser(
            new OomReportParser.Listener() {
              @Override
              public void report(OomReport r) {
                onReport(r, parser.emittedStartSeq());
              }

              @Override
              public void reaped(int pid, String process, long anonRssKb) {
                LOG.debug("oom_reaper freed process {} ({})", pid, process);
              }
            });
    this.parser.bootId(bootId);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cgroup-sampler");
              t.setDaemon(true);
              return t;
            });
    metrics.gauge(
        "oomdoctor.agent.exports.pending", "Kills waiting to be delivered", exporter::pending);
    metrics.gauge(
        "oomdoctor.agent.cgroups.tracked", "Cgroups with a memory history", sampler::tracked);
    metrics.gauge(
        "oomdoctor.agent.risks.active", "Risks before the kill active now", risks::active);
    metrics.gauge(
        "oomdoctor.agent.resident.bytes",
        "Resident memory of the agent process (from /proc/self/statm)",
        Agent::residentBytes);
    metrics.gauge(
        "oomdoctor.agent.heap.used.bytes",
        "Java heap in use by the agent",
        () -> Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
  }

  /** Starts sampling and reading; returns at once. */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      return;
    }
    LOG.info(
        "OOM Doctor agent {} on node {}: kmsg {}, cgroups {} (v{}), every {}",
        AgentVersion.VERSION,
        config.nodeName(),
        config.kmsg(),
        config.cgroupRoot(),
        sampler.tree().reader().version(),
        config.interval());
    // Kills before now are not ours to attribute to a lone kill line.
    assembler.baseline();
    double up = KmsgReader.uptimeSeconds(config.procRoot());
    startedUs = Double.isNaN(up) ? Long.MAX_VALUE : (long) (up * 1_000_000);
    // First pass now, so that a kill right after start already has processes and limits.
    scheduler.execute(this::samplePass);
    long ms = config.interval().toMillis();
    scheduler.scheduleAtFixedRate(this::samplePass, ms, ms, TimeUnit.MILLISECONDS);
    Cursor cursor = bootKnown ? Cursor.load(config.cursorFile()) : null;
    if (!bootKnown) {
      LOG.warn(
          "Cannot read the boot id from {}: no kernel-log cursor is trusted or stored; reading the"
              + " kernel log from its start",
          config.procRoot());
    }
    if (cursor != null && !cursor.bootId().equals(bootId)) {
      LOG.info("Node rebooted since the last run; reading the kernel log from its start");
      cursor = null;
    }
    if (cursor != null) {
      safeSeq = cursor.seq();
      storedSeq = cursor.seq();
    }
    Cursor start = cursor;
    assemblerThread = new Thread(this::assembleLoop, "kill-assembler");
    assemblerThread.setDaemon(true);
    assemblerThread.start();
    readerThread = new Thread(() -> readLoop(start), "kmsg-reader");
    readerThread.setDaemon(true);
    readerThread.start();
  }

  private void readLoop(Cursor cursor) {
    KmsgReader.Handler handler =
        new KmsgReader.Handler() {
          @Override
          public void record(KmsgRecord r) {
            onRecord(r);
          }

          @Override
          public void lost(long count) {
            metrics.recordsLost(count);
            LOG.warn("{} kernel log records were overwritten before they could be read", count);
            parser.recordsLost(count);
          }

          @Override
          public void garbled(String raw) {
            metrics.recordGarbled();
            LOG.debug("Unparseable kmsg record: {}", raw);
          }
        };
    Cursor resume = cursor;
    long backoff = 1000;
    while (started.get() && !Thread.currentThread().isInterrupted()) {
      KmsgReader r = new KmsgReader(config.kmsg(), bootId, resume, handler);
      reader = r;
      readerRunning = true;
      try {
        r.run();
        if (Files.isRegularFile(config.kmsg())) {
          return; // replay of a captured log: done
        }
      } catch (IOException e) {
        LOG.error("Cannot read {}: {}; retrying in {} ms", config.kmsg(), e.toString(), backoff);
      } catch (RuntimeException e) {
        LOG.error("Reading {} failed; reopening in {} ms", config.kmsg(), backoff, e);
      } finally {
        readerRunning = false;
      }
      if (r.lastSeq() != null) {
        resume = new Cursor(bootId, r.lastSeq());
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        return;
      }
      backoff = Math.min(30_000, backoff * 2);
    }
  }

  private void onRecord(KmsgRecord r) {
    handlingSinceNanos = System.nanoTime();
    try {
      handleRecord(r);
    } catch (RuntimeException e) {
      // A fault of ours on one record must not end the reader: every later kill would be missed.
      LOG.error("Handling kernel record {} failed; reading on", r.seq(), e);
    } finally {
      handlingSinceNanos = 0;
    }
  }

  private void handleRecord(KmsgRecord r) {
    metrics.recordRead();
    String wall = KmsgReader.wallTime(bootEpochMillis, r.usec());
    for (KernelLine line : r.lines(wall)) {
      parser.accept(line);
    }
    // Order matters: the report start first, then the record, so that a reader of lastRecordSeq
    // sees a report start at least as new.
    Long start = parser.reportStartSeq();
    reportStartSeq = start == null ? -1 : start;
    lastRecordSeq = r.seq();
    lastRecordUs = r.usec();
    lastRecordNanos = System.nanoTime();
    advanceSafeSeq();
  }

  /**
   * Kills waiting to be assembled, by container (its cgroup path, or the victim's cgroup read from
   * /proc for a lone kill line): the reader only parses and hands over, so that an OOM storm cannot
   * hold it while the kernel's ring buffer overwrites what it has not read. A kill of a container
   * whose kill is still waiting is counted into that one (an OomKill with {@code spec.repeats}), so
   * a storm costs one assembly per container and round. Lone kill lines whose victims were gone
   * before /proc was read wait together, and are shared out by the containers' oom_kill counters
   * when assembled.
   */
  private final class Waiting {
    final OomReport first;
    final String procContainer;
    final String coalesce;
    final List<Long> cursorKeys;
    Repeats repeats;

    Waiting(OomReport first, String procContainer, String coalesce, long cursorKey) {
      this(first, procContainer, coalesce, new ArrayList<>(List.of(cursorKey)));
    }

    Waiting(OomReport first, String procContainer, String coalesce, List<Long> cursorKeys) {
      this.first = first;
      this.procContainer = procContainer;
      this.coalesce = coalesce;
      this.cursorKeys = cursorKeys;
      // The report's task table, as read (the assembler trims the report later).
      java.util.Set<String> ids = new java.util.HashSet<>();
      if (first.tasks != null) {
        for (io.oomdoctor.model.evidence.OomTask t : first.tasks) {
          ids.add(t.pid + " " + t.name);
        }
      }
      this.tasks = ids;
    }

    /** "PID name" of each row of the report's task table. */
    final java.util.Set<String> tasks;

    void fold(OomReport next, long cursorKey) {
      if (repeats == null) {
        repeats = Repeats.single(first.pid, first.timestamp);
      }
      repeats.add(next.pid, next.timestamp);
      cursorKeys.add(cursorKey);
    }

    /** Kill lines of a victim already counted (an oom.group kill's first victim again). */
    int duplicates;

    int kills() {
      return cursorKeys.size() - duplicates;
    }
  }

  /**
   * Kills waiting to be assembled, at most, counted as OomKills-to-be; past it a kill is sent bare.
   */
  static final int MAX_WAITING = 4096;

  /** Kills one waiting kill stands for at most (as the exporter's). */
  static final int MAX_FOLDED = 1000;

  private final Object waitingLock = new Object();

  /** In the order they came, by their first kernel record. Guarded by waitingLock. */
  private final LinkedHashMap<Long, Waiting> waiting = new LinkedHashMap<>();

  /** The waiting kill that takes further kills of a container, by container. Guarded likewise. */
  private final java.util.HashMap<String, Waiting> open = new java.util.HashMap<>();

  private volatile Thread assemblerThread;
  private volatile long assemblingSinceNanos;

  private void onReport(OomReport r, Long startSeq) {
    long key = startSeq != null ? startSeq : (r.seq != null ? r.seq : lastRecordSeq);
    undelivered.add(key);
    if (r.oomGroup != null && !groupMember(r)) {
      r.oomGroup = null; // the next OOM kill's lone line, not a member
    }
    boolean lone = EvidenceAssembler.loneLine(r);
    String proc = lone ? assembler.procContainer(r) : null;
    String container =
        lone ? (proc == null ? "lone:unknown" : proc) : EvidenceAssembler.victimCgroup(r);
    String coalesce = container == null ? null : (r.kind == null ? "" : r.kind) + "|" + container;
    boolean bare = false;
    synchronized (waitingLock) {
      Waiting same = coalesce == null ? null : open.get(coalesce);
      if (r.oomGroup != null && same != null && EvidenceAssembler.loneLine(same.first)) {
        // Only a kill with the kernel's own report takes the rest of its group.
        coalesce = coalesce + "|group";
        same = open.get(coalesce);
      }
      if (same != null && same.kills() < MAX_FOLDED) {
        if (r.oomGroup != null) {
          // The rest of an oom.group kill: one event with all its victims. The kernel kills the
          // first victim again as a member of its group (and counts it again).
          same.first.oomGroup = r.oomGroup;
          if (java.util.Objects.equals(r.pid, same.first.pid)) {
            same.cursorKeys.add(key);
            same.duplicates++;
            return;
          }
        }
        same.fold(r, key);
        return;
      }
      if (waiting.size() >= MAX_WAITING || waiting.containsKey(key)) {
        bare = true;
      } else {
        // A full one stays in the queue where it is; the new one takes the container's next kills.
        Waiting w = new Waiting(r, proc, coalesce, key);
        waiting.put(key, w);
        if (coalesce != null) {
          open.put(coalesce, w);
        }
        waitingLock.notifyAll();
      }
    }
    if (bare) {
      // Nothing holds up the reader: the kill goes out with the kernel's report alone.
      LOG.warn(
          "{} containers' kills wait to be assembled; sending the kill of pid {} bare",
          MAX_WAITING,
          r.pid);
      deliver(new Waiting(r, proc, coalesce, key), bareKill(r));
    }
  }

  /** For tests: the assembler waits for this before each kill, so that kills pile up. */
  private volatile java.util.concurrent.CountDownLatch assemblyGate;

  void holdAssembly(java.util.concurrent.CountDownLatch gate) {
    this.assemblyGate = gate;
  }

  /** The sequence number of the last kernel record read. */
  long lastRecordSeq() {
    return lastRecordSeq;
  }

  /**
   * Whether a kill line after an oom.group announcement is a member of that group: the kill line of
   * the next OOM kill (of any container on the node, rate-limited to its kill line) looks the same.
   * A member is believed when its /proc says it was in the group's cgroup, or when the group's
   * first victim's report listed it among the tasks of the cgroup the kernel killed in.
   */
  private boolean groupMember(OomReport r) {
    if (assembler.inGroup(assembler.procContainer(r), r.oomGroup)) {
      return true;
    }
    synchronized (waitingLock) {
      Waiting leader = open.get((r.kind == null ? "" : r.kind) + "|" + r.oomGroup);
      if (leader == null || EvidenceAssembler.loneLine(leader.first) || r.pid == null) {
        return false;
      }
      if (r.pid.equals(leader.first.pid)) {
        return true; // the first victim, killed again as a member
      }
      return leader.tasks.contains(r.pid + " " + r.process);
    }
  }

  private void assembleLoop() {
    while (started.get()) {
      java.util.concurrent.CountDownLatch gate = assemblyGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          return;
        }
      }
      Waiting w;
      Map<String, Integer> pending = null;
      synchronized (waitingLock) {
        while (waiting.isEmpty()) {
          if (!started.get()) {
            return;
          }
          try {
            waitingLock.wait(1000);
          } catch (InterruptedException e) {
            return;
          }
        }
        var it = waiting.values().iterator();
        w = it.next();
        it.remove();
        if (EvidenceAssembler.loneLine(w.first)) {
          if (w.coalesce != null) {
            open.remove(w.coalesce, w);
          }
          pending = pendingFullReportsLocked();
        }
        // A kill with the kernel's report stays open to further kills of its container (the
        // rest of an oom.group) until it is assembled and the reader has read past it.
      }
      assemblingSinceNanos = System.nanoTime();
      try {
        if (pending == null) {
          assembleOne(w, null);
        } else {
          String path = w.procContainer == null ? null : assembler.takeProc(w.procContainer);
          if (path != null) {
            assembleOne(w, path);
          } else {
            // No /proc, or its container's counter did not rise for it: shared by the counters.
            assembleUnlocated(w, pending);
          }
        }
      } finally {
        assemblingSinceNanos = 0;
      }
    }
  }

  /** Kills whose full reports wait to be assembled, by cgroup: their containers' own. */
  private Map<String, Integer> pendingFullReports() {
    synchronized (waitingLock) {
      return pendingFullReportsLocked();
    }
  }

  private Map<String, Integer> pendingFullReportsLocked() {
    Map<String, Integer> pending = new java.util.HashMap<>();
    for (Waiting other : waiting.values()) {
      OomReport f = other.first;
      String at =
          EvidenceAssembler.loneLine(f) ? other.procContainer : EvidenceAssembler.victimCgroup(f);
      if (at != null) {
        pending.merge(at, other.kills(), Integer::sum);
      }
    }
    return pending;
  }

  /** How long after a kill the kernel prints the rest of its oom.group (kernel time, µs). */
  static final long GROUP_SETTLE_US = 100_000;

  /** Longest the sharing of lone lines waits for the reader. */
  static final long READER_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * Waits until the reader has read a record from at or after kernel time {@code us}, has read
   * nothing for 50 ms (it has read all there is), or a second has passed.
   */
  private void awaitReaderPast(long us) {
    long start = System.nanoTime();
    while (lastRecordUs < us
        && System.nanoTime() - start < READER_WAIT_NANOS
        && (handlingSinceNanos != 0 || System.nanoTime() - lastRecordNanos < 50_000_000L)
        && started.get()) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * @param located for a lone kill line, its container as {@link EvidenceAssembler#takeProc} found
   *     it
   */
  private void assembleOne(Waiting w, String located) {
    OomKill kill;
    try {
      kill =
          located != null
              ? assembler.assembleLocated(w.first, located, clock.millis())
              : assembler.assemble(w.first, clock.millis());
    } catch (RuntimeException e) {
      // Evidence beyond the kernel report is a bonus; never lose the kill over it.
      LOG.warn(
          "Could not gather all evidence for the kill of pid {}: {}", w.first.pid, e.toString());
      kill = bareKill(w.first);
    }
    if (!EvidenceAssembler.loneLine(w.first)) {
      // The evidence is read at once; the kernel kills the rest of an oom.group right after the
      // first victim, and their lines fold into this kill while the reader reads past them.
      if (w.first.kernelTimeUs != null) {
        awaitReaderPast(w.first.kernelTimeUs + GROUP_SETTLE_US);
      }
      synchronized (waitingLock) {
        if (w.coalesce != null) {
          open.remove(w.coalesce, w);
        }
      }
    }
    if (w.repeats != null || w.duplicates > 0) {
      kill.getSpec().repeats = w.repeats;
      Attribution a = kill.getSpec().attribution;
      OomReport rep = kill.getSpec().report;
      String path = rep == null ? null : rep.taskMemcg != null ? rep.taskMemcg : rep.oomGroup;
      if (path == null && a != null && Attribution.METHOD_PROC.equals(a.method)) {
        path = w.procContainer;
      }
      try {
        assembler.accountFolded(path, w.kills() - 1 + w.duplicates);
      } catch (RuntimeException e) {
        LOG.debug("Cannot account folded kills: {}", e.toString());
      }
    }
    deliver(w, kill);
  }

  /**
   * Lone kill lines whose victims were gone before their cgroups could be read: one OomKill per
   * container whose oom_kill counter counted them, with its count, and one for what none counted.
   */
  private void assembleUnlocated(Waiting w, Map<String, Integer> pending) {
    List<EvidenceAssembler.Share> shares;
    try {
      // The counters count a kill before the kernel prints its line, and the reader may be
      // behind: the rises are read first, and shared out once every kill in them has been read
      // (its full report then waits among the pending ones, its own and not these lines').
      double up = KmsgReader.uptimeSeconds(config.procRoot());
      Map<String, Long> risen = assembler.risen();
      if (!Double.isNaN(up)) {
        awaitReaderPast((long) (up * 1_000_000) + 10_000);
        pending = pendingFullReports();
      }
      shares = assembler.apportion(w.kills(), pending, risen);
    } catch (RuntimeException e) {
      LOG.warn("Cannot read the containers' oom_kill counters: {}", e.toString());
      shares = List.of(new EvidenceAssembler.Share(null, w.kills(), false));
    }
    int from = 0;
    for (EvidenceAssembler.Share share : shares) {
      List<Long> keys = new ArrayList<>(w.cursorKeys.subList(from, from + share.kills()));
      OomKill kill;
      try {
        kill =
            assembler.assembleShare(w.first, w.procContainer, share, keys.get(0), clock.millis());
      } catch (RuntimeException e) {
        LOG.warn(
            "Could not gather all evidence for the kill of pid {}: {}", w.first.pid, e.toString());
        kill = bareKill(w.first);
      }
      Waiting part = new Waiting(kill.getSpec().report, null, w.coalesce, keys);
      if (share.kills() > 1 || w.repeats != null) {
        Repeats rep = Repeats.single(null, w.first.timestamp);
        rep.count = share.kills();
        rep.lastTimestamp = w.repeats != null ? w.repeats.lastTimestamp : w.first.timestamp;
        if (from == 0 && (share.sole() || share.path() == null) && w.repeats != null) {
          rep.pids = w.repeats.pids; // the lines are its own
        }
        kill.getSpec().repeats = share.kills() > 1 ? rep : null;
      }
      from += share.kills();
      deliver(part, kill);
    }
  }

  private OomKill bareKill(OomReport r) {
    return new EvidenceAssembler(
            config.nodeName(), config.namespace(), null, null, PodResolver.NONE, null)
        .assemble(r, clock.millis());
  }

  private void deliver(Waiting w, OomKill kill) {
    OomReport r = w.first;
    Attribution a = kill.getSpec().attribution;
    String scope = a == null ? null : a.limitScope;
    for (int i = 0; i < w.kills(); i++) {
      metrics.killSeen(r.kind, scope, Boolean.TRUE.equals(r.complete));
    }
    LOG.info(
        "OOM kill: pid {} ({}) {} limit {} scope {} pod {} container {}{}{}{}",
        r.pid,
        Text.printable(r.process),
        r.kind,
        kill.getSpec().limit,
        scope,
        kill.getSpec().pod == null
            ? a == null ? null : a.podUid
            : kill.getSpec().pod.namespace + "/" + kill.getSpec().pod.name,
        kill.getSpec().pod == null
            ? a == null ? null : a.containerId
            : kill.getSpec().pod.container,
        Boolean.TRUE.equals(r.complete) ? "" : " (incomplete: " + r.incompleteReason + ")",
        w.kills() > 1 ? " and " + (w.kills() - 1) + " more kills of it" : "",
        r.kernelTimeUs != null && bootEpochMillis > 0 && r.kernelTimeUs >= startedUs
            ? "; "
                + (clock.millis() - bootEpochMillis - r.kernelTimeUs / 1000)
                + " ms after the kill"
            : "");
    List<Long> keys = w.cursorKeys;
    Long killUs = r.kernelTimeUs;
    exporter.export(
        kill,
        () -> {
          keys.forEach(undelivered::remove);
          advanceSafeSeq();
          if (killUs != null && bootEpochMillis > 0 && killUs >= startedUs) {
            metrics.delivered((clock.millis() - bootEpochMillis - killUs / 1000) / 1000.0);
          }
        });
  }

  /** Everything up to the returned seq is handled: read, and any kill in it delivered. */
  private synchronized void advanceSafeSeq() {
    long candidate = lastRecordSeq;
    long inReport = reportStartSeq;
    if (inReport >= 0) {
      candidate = Math.min(candidate, inReport - 1);
    }
    // ceiling, not isEmpty() then first(): the exporter's thread removes delivered kills
    // meanwhile, and first() of a set emptied in between throws.
    Long oldest = undelivered.ceiling(Long.MIN_VALUE);
    if (oldest != null) {
      candidate = Math.min(candidate, oldest - 1);
    }
    if (candidate > safeSeq) {
      safeSeq = candidate;
    }
  }

  private void samplePass() {
    long t0 = System.nanoTime();
    try {
      long now = clock.millis();
      int n = sampler.sampleOnce(now);
      risks.pass(now);
      metrics.sampled(Duration.ofNanos(System.nanoTime() - t0), n);
    } catch (RuntimeException e) {
      LOG.warn("Sampling pass failed: {}", e.toString());
    }
    lastPassEndNanos = System.nanoTime();
    storeCursor();
  }

  private synchronized void storeCursor() {
    if (!bootKnown || config.cursorFile() == null || safeSeq < 0 || safeSeq == storedSeq) {
      return;
    }
    try {
      new Cursor(bootId, safeSeq).store(config.cursorFile());
      storedSeq = safeSeq;
    } catch (IOException e) {
      LOG.warn("Cannot store the kmsg cursor in {}: {}", config.cursorFile(), e.toString());
    }
  }

  /**
   * What keeps the agent from seeing kills — its kernel-log reader has stopped or is stuck on one
   * record, its sampler has made no pass for three intervals (at least a minute) — or null.
   */
  public String liveProblem() {
    if (!started.get()) {
      return null;
    }
    long now = System.nanoTime();
    Thread t = readerThread;
    if (t != null && !t.isAlive() && !Files.isRegularFile(config.kmsg())) {
      return "the kernel-log reader has stopped";
    }
    long handling = handlingSinceNanos;
    if (handling != 0 && now - handling > STUCK.toNanos()) {
      return "the kernel-log reader has been handling one record for "
          + (now - handling) / 1_000_000_000L
          + " s";
    }
    Thread asm = assemblerThread;
    if (asm != null && !asm.isAlive()) {
      return "the kill assembler has stopped";
    }
    long assembling = assemblingSinceNanos;
    if (assembling != 0 && now - assembling > STUCK.toNanos()) {
      return "the kill assembler has been assembling one kill for "
          + (now - assembling) / 1_000_000_000L
          + " s";
    }
    long allowed = Math.max(3 * config.interval().toNanos(), passGrace.toNanos());
    if (now - lastPassEndNanos > allowed) {
      return "no memory sampling pass for " + (now - lastPassEndNanos) / 1_000_000_000L + " s";
    }
    return null;
  }

  /** For tests: how long without a sampling pass counts as stuck (default one minute). */
  void passGrace(Duration grace) {
    this.passGrace = grace;
  }

  /** True once the reader has the device open and the first sampling pass is done. */
  public boolean ready() {
    return readerRunning && sampler.lastPassCount() >= 0;
  }

  /** This process's resident set, bytes (NaN where /proc/self/statm cannot be read). */
  static double residentBytes() {
    byte[] b = KernelFiles.read(java.nio.file.Paths.get("/proc/self/statm"));
    if (b == null) {
      return Double.NaN;
    }
    String[] f = new String(b, java.nio.charset.StandardCharsets.US_ASCII).trim().split(" ");
    try {
      return f.length > 1 ? Long.parseLong(f[1]) * 4096.0 : Double.NaN;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** The risks before the kill, weighed after each sampling pass. */
  public io.oomdoctor.agent.risk.RiskWatch risks() {
    return risks;
  }

  public MemorySampler sampler() {
    return sampler;
  }

  /** The sequence number up to which everything is handled (what the cursor will hold). */
  public long safeSeq() {
    return safeSeq;
  }

  @Override
  public void close() {
    if (!started.compareAndSet(true, false)) {
      return;
    }
    Thread t = readerThread;
    if (t != null) {
      KmsgReader r = reader;
      if (r != null) {
        r.stop();
      }
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Thread asm = assemblerThread;
    if (asm != null) {
      synchronized (waitingLock) {
        waitingLock.notifyAll();
      }
      asm.interrupt();
      try {
        asm.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    scheduler.shutdownNow();
    risks.close();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    storeCursor();
  }
}
