package io.oomdoctor.agent.docker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The triage of one container's exit or kill: what the engine and the kernel say, what it means,
 * and the fix as Docker users write it. Public fields, in the order {@code doctor --output json}
 * prints them; null where unknown.
 */
public final class Triage {
  /** What happened, in one word. */
  public enum Verdict {
    /** The kernel's OOM killer killed the container's main process (exit 137). */
    OomKilledMain,
    /** The OOM killer killed a process inside the container while its main process lived on. */
    OomKilledChild,
    /** The host ran out of memory and the kernel killed a process of this container. */
    HostOom,
    /** Exit 137 (SIGKILL) that the OOM killer did not send: docker kill, a stop timeout. */
    KilledNotOom,
    /** No OOM kill of this container is known. */
    NoOomKill
  }

  public String container;
  public String id;
  public String image;
  public String status;
  public Boolean running;
  public Boolean oomKilled;
  public Long exitCode;
  public Integer restartCount;
  public String restartPolicy;
  public String composeProject;
  public String composeService;
  public Long limitBytes;
  public Long swapLimitBytes;
  public Long reservationBytes;
  public Boolean oomKillDisable;
  public Integer oomScoreAdj;
  public Boolean containerExists;
  public Boolean kernelReportFound;
  public String kernelReportSource;
  public Integer kernelReports;
  public Verdict verdict;
  public String cause;
  public Double confidence;
  public String summary;
  public String explanation;
  public String fix;
  public Long recommendedLimitBytes;
  public Map<String, String> runtimeFlags = new LinkedHashMap<>();
  public List<String> dockerRunFlags = new ArrayList<>();
  public Map<String, String> compose = new LinkedHashMap<>();
  public Integer victimPid;
  public String victimProcess;
  public String killedAt;
  public Long usageBytes;
  public Long peakBytes;
  public Map<String, Long> breakdown = new LinkedHashMap<>();
  public List<Long> history = new ArrayList<>();
  public Long historyIntervalMillis;

  /** "sampled now" (a running container) or "before the kill" (the agent's record). */
  public String historySource;

  public List<String> notes = new ArrayList<>();
}
