package io.oomdoctor.diagnosis;

/** Why a process was OOM-killed: the primary causes OOM Doctor tells apart. */
public enum Cause {
  HostOom("the node ran out of memory"),
  RuntimeCapMisconfigured("a language runtime's memory cap does not fit the container limit"),
  SharedLimit("several processes share one limit"),
  PageCacheOrShmem("page cache or shared memory (tmpfs) filled the limit"),
  NativeMemory("native (off-heap) memory grew past the limit"),
  StartupSpike("a spike right after start"),
  MemoryLeak("memory grew steadily until the limit"),
  UnboundedCache("memory grew and stayed at the limit (a cache without a bound)"),
  LimitTooLow("the limit is too low for the normal load"),
  Unknown("not enough evidence to tell");

  private final String meaning;

  Cause(String meaning) {
    this.meaning = meaning;
  }

  /** One phrase a person reads. */
  public String meaning() {
    return meaning;
  }
}
